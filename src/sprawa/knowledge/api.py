"""The shop's knowledge articles: every member reads them, admins write them."""

from typing import Annotated

from fastapi import APIRouter, Query

from sprawa.deps import Admin, CurrentPrincipal, DbSession
from sprawa.knowledge.queries import access_article, article_page
from sprawa.knowledge.schemas import ArticleIn, ArticleOut, ArticlePatch, ArticleSummary
from sprawa.knowledge.service import (
    do_create_article,
    do_delete_article,
    do_set_article_published,
    do_update_article,
)
from sprawa.platform.pagination import DEFAULT_LIMIT
from sprawa.workspaces.schemas import CursorQuery, Language, LimitQuery, Page

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])


@router.get("")
def list_articles(
    db: DbSession,
    principal: CurrentPrincipal,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    language: Language | None = None,
    category: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    published: bool | None = None,
) -> Page[ArticleSummary]:
    """Articles without their bodies; ``q`` searches titles and bodies."""
    articles, next_cursor = article_page(
        db, principal, cursor, limit, language=language, category=category, q=q, published=published
    )
    return Page(items=[ArticleSummary.model_validate(a) for a in articles], next_cursor=next_cursor)


@router.post("", status_code=201)
def create_article(body: ArticleIn, db: DbSession, admin: Admin) -> ArticleOut:
    return ArticleOut.model_validate(do_create_article(db, admin, body))


@router.get("/{article_id}")
def get_article(article_id: str, db: DbSession, principal: CurrentPrincipal) -> ArticleOut:
    return ArticleOut.model_validate(access_article(db, principal, article_id))


@router.patch("/{article_id}")
def update_article(article_id: str, body: ArticlePatch, db: DbSession, admin: Admin) -> ArticleOut:
    return ArticleOut.model_validate(do_update_article(db, admin, article_id, body))


@router.post("/{article_id}/publish")
def publish_article(article_id: str, db: DbSession, admin: Admin) -> ArticleOut:
    return ArticleOut.model_validate(do_set_article_published(db, admin, article_id, True))


@router.post("/{article_id}/unpublish")
def unpublish_article(article_id: str, db: DbSession, admin: Admin) -> ArticleOut:
    return ArticleOut.model_validate(do_set_article_published(db, admin, article_id, False))


@router.delete("/{article_id}", status_code=204)
def delete_article(article_id: str, db: DbSession, admin: Admin) -> None:
    do_delete_article(db, admin, article_id)
