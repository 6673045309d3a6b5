"""Extraction of article pages: text without navigation, promos, footer or the repeated headline."""

import pytest

from newsdesk.demo.corpus import load_corpus
from newsdesk.demo.site import render_page
from newsdesk.errors import ExtractError
from newsdesk.ingest.pages import extract_page


def test_demo_page_extracts_full_text_and_metadata() -> None:
    article = next(a for a in load_corpus() if a.outlet == "meridian-post")
    page = extract_page(render_page(article, "http://demo.test"), "http://demo.test" + article.path)
    assert page.title == article.title
    assert page.outlet == "The Meridian Post"
    assert page.text.split("\n\n") == list(article.paragraphs)  # nothing lost, nothing added
    for junk in ("Subscribe", "newsletter", "All rights reserved", article.title):
        assert junk not in page.text


def test_page_without_text_is_an_extract_error() -> None:
    with pytest.raises(ExtractError):
        extract_page("<html><body><nav><a href='/'>Home</a></nav></body></html>", "http://x.test/")
