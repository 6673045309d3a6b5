"""Reading the demo corpus: one text file per article, grouped in one folder per event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

OUTLETS: dict[str, tuple[str, str]] = {
    # slug: (display name, feed format)
    "meridian-post": ("The Meridian Post", "rss"),
    "harbor-wire": ("Harbor Wire", "atom"),
    "northgate-daily": ("Northgate Daily", "json"),
    "civic-ledger": ("The Civic Ledger", "rss"),
    "the-lantern": ("The Lantern", "atom"),
    "riverbend-courier": ("Riverbend Courier", "json"),
    "bulletin-24": ("Bulletin 24", "rss"),
}


@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo corpus, as its outlet publishes it."""

    event: str  # event folder name: the gold story, used only by tests and the demo report
    outlet: str  # outlet slug
    slug: str  # file stem, unique within the event
    title: str  # headline
    published: datetime  # publication time (UTC)
    section: str  # the outlet's section
    author: str  # byline
    paragraphs: tuple[str, ...]  # body

    @property
    def path(self) -> str:
        """Where the outlet serves the article page."""
        return f"/{self.outlet}/{self.event}/{self.slug}.html"


def parse_article(text: str, event: str, slug: str) -> DemoArticle:
    """One corpus file's header and body."""
    header, _, body = text.partition("\n---\n")
    fields = dict(line.split(": ", 1) for line in header.strip().splitlines())
    paragraphs = tuple(" ".join(p.split()) for p in body.strip().split("\n\n") if p.strip())
    return DemoArticle(
        event=event,
        outlet=fields["outlet"].strip(),
        slug=slug,
        title=fields["title"].strip(),
        published=datetime.fromisoformat(fields["published"].strip().replace("Z", "+00:00")),
        section=fields["section"].strip(),
        author=fields["author"].strip(),
        paragraphs=paragraphs,
    )


def load_corpus(folder: Path = CORPUS_DIR) -> list[DemoArticle]:
    """Every demo article, oldest first."""
    articles = [
        parse_article(path.read_text(encoding="utf-8"), path.parent.name, path.stem)
        for path in sorted(folder.glob("*/*.txt"))
    ]
    return sorted(articles, key=lambda a: (a.published, a.outlet, a.slug))
