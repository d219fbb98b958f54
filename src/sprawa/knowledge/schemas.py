"""Shapes of knowledge articles: Markdown text in one language, with a slug unique per language."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sprawa.workspaces.schemas import SLUG_PATTERN, Language, Patch, Slug, Strict, Unique

MAX_BODY_CHARS = 100_000

ArticleSlug = Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=SLUG_PATTERN)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[list[Slug], Field(max_length=20), Unique]


class ArticleIn(Strict):
    slug: ArticleSlug
    language: Language = "pl"
    title: Title
    body: Body
    category: Category | None = None
    tags: Tags = Field(default_factory=list)
    published: bool = True


class ArticlePatch(Patch):
    """Changing any content field bumps the article's version."""

    nullable = frozenset({"category"})

    slug: ArticleSlug | None = None
    language: Language | None = None
    title: Title | None = None
    body: Body | None = None
    category: Category | None = None
    tags: Tags | None = None


class ArticleSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    language: str
    title: str
    category: str | None
    tags: list[str]
    published: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ArticleOut(ArticleSummary):
    body: str
