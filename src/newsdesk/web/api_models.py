"""The JSON API's documents (pydantic models: they are also its OpenAPI schema)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, Field

from newsdesk.types import EntitySummary, Source, Story, StorySummary, TopicSummary
from newsdesk.web.site import entity_url, marked, plain, story_url, topic_url
from newsdesk.web.views import CitedSentence, StoryPage


class ErrorBody(BaseModel):
    status: int = Field(description="the HTTP status code")
    code: str = Field(description="a stable machine-readable name, e.g. not_found")
    message: str = Field(description="one line for people")


class ErrorReply(BaseModel):
    error: ErrorBody


class StoryItem(BaseModel):
    id: str = Field(description="stable id for life")
    url: str = Field(description="path of the story page")
    headline: str
    standfirst: str
    topic: str
    outlet_count: int
    article_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, story: StorySummary | Story) -> StoryItem:
        return cls.model_validate({**asdict(story), "url": story_url(story.id, story.headline)})


class StoryList(BaseModel):
    stories: list[StoryItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class Sentence(BaseModel):
    text: str = Field(description="verbatim from its source")
    sources: list[int] = Field(description="coverage numbers it cites")


class BriefingSection(BaseModel):
    heading: str
    sentences: list[Sentence]


class CoverageCopy(BaseModel):
    outlet: str
    title: str
    url: str
    published: datetime


class CoverageEntry(BaseModel):
    number: int = Field(description="what citations refer to")
    outlet: str
    title: str
    url: str
    published: datetime
    copies: list[CoverageCopy] = Field(description="wire copies and reprints of it")


class RelatedEntry(BaseModel):
    label: str = Field(description="why it is related")
    story: StoryItem


class EntityItem(BaseModel):
    slug: str
    name: str
    kind: str
    story_count: int
    url: str

    @classmethod
    def of(cls, entity: EntitySummary) -> EntityItem:
        return cls.model_validate({**asdict(entity), "url": entity_url(entity.slug)})


class StoryEntityItem(BaseModel):
    slug: str
    name: str
    kind: str
    salience: float = Field(description="how prominently the story names it")
    url: str


class StoryDetail(StoryItem):
    standfirst_sentences: list[Sentence]
    briefing: list[BriefingSection]
    coverage: list[CoverageEntry]
    related: list[RelatedEntry]
    entities: list[StoryEntityItem]

    @classmethod
    def of_page(cls, view: StoryPage) -> StoryDetail:
        story = view.story
        return cls(
            **StoryItem.of(story).model_dump(),
            standfirst_sentences=[_sentence(s) for s in view.standfirst],
            briefing=[BriefingSection(heading=h, sentences=[_sentence(s) for s in ss]) for h, ss in view.sections],
            coverage=[
                CoverageEntry(
                    number=item.number,
                    outlet=item.article.outlet,
                    title=item.article.title,
                    url=item.article.url,
                    published=item.article.published,
                    copies=[
                        CoverageCopy(outlet=c.outlet, title=c.title, url=c.url, published=c.published)
                        for c in item.copies
                    ],
                )
                for item in view.coverage
            ],
            related=[
                RelatedEntry(label=label, story=StoryItem.of(other))
                for other, label in zip(view.related, view.related_labels, strict=True)
            ],
            entities=[
                StoryEntityItem(
                    slug=e.entity.slug,
                    name=e.entity.name,
                    kind=e.entity.kind,
                    salience=e.salience,
                    url=entity_url(e.entity.slug),
                )
                for e in view.entities
            ],
        )


def _sentence(sentence: CitedSentence) -> Sentence:
    return Sentence(text=sentence.text, sources=list(sentence.numbers))


class TopicItem(BaseModel):
    name: str
    slug: str
    story_count: int
    url: str

    @classmethod
    def of(cls, topic: TopicSummary) -> TopicItem:
        return cls.model_validate({**asdict(topic), "url": topic_url(topic.slug)})


class TopicList(BaseModel):
    topics: list[TopicItem]


class EntityList(BaseModel):
    entities: list[EntityItem]


class SearchItem(BaseModel):
    story: StoryItem
    snippet: str = Field(description="the best-matching passage as plain text; empty when found by meaning only")
    snippet_html: str = Field(description="the same passage as escaped HTML, matches in <mark>")
    score: float = Field(description="fused rank score, higher is better")
    by_text: bool = Field(description="its words matched")
    by_meaning: bool = Field(description="its meaning was close to the query")

    @classmethod
    def of(cls, story: StorySummary, snippet: str, score: float, by_text: bool, by_meaning: bool) -> SearchItem:
        return cls(
            story=StoryItem.of(story),
            snippet=plain(snippet),
            snippet_html=str(marked(snippet)),
            score=score,
            by_text=by_text,
            by_meaning=by_meaning,
        )


class SearchList(BaseModel):
    results: list[SearchItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class SourceItem(BaseModel):
    id: int
    url: str
    title: str
    added_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    articles_seen: int

    @classmethod
    def of(cls, source: Source) -> SourceItem:
        return cls.model_validate(asdict(source))  # fields the API does not name are left out


class SourceList(BaseModel):
    sources: list[SourceItem]


class OpmlImport(BaseModel):
    added: int = Field(description="feeds added as sources")
    already: int = Field(description="feeds that were sources already")


class NewSource(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="feed URL (RSS, Atom or JSON Feed)")
