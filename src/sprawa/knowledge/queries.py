"""Reads of knowledge articles, scoped to the principal's workspace (the one access chokepoint)."""

from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.workspaces.queries import keyset_page


def readable_articles(principal: Principal) -> Select[tuple[KnowledgeArticle]]:
    return select_in_workspace(KnowledgeArticle, principal.workspace_id)


def access_article(
    session: Session, principal: Principal, article_id: str, *, for_update: bool = False
) -> KnowledgeArticle:
    """An article of the principal's workspace; another workspace's id is simply not found."""
    stmt = readable_articles(principal).where(KnowledgeArticle.id == article_id)
    return fetch_one_or_not_found(session, stmt, "article not found", for_update=for_update)


def article_page(
    session: Session,
    principal: Principal,
    cursor: str | None,
    limit: int,
    *,
    language: str | None = None,
    category: str | None = None,
    q: str | None = None,
    published: bool | None = None,
) -> tuple[list[KnowledgeArticle], str | None]:
    """Articles matching the filters; ``q`` is a case-insensitive substring of the title or body.

    (SQLite folds only ASCII letters to lower case; PostgreSQL folds Polish letters too.)
    """
    stmt = readable_articles(principal)
    if language is not None:
        stmt = stmt.where(KnowledgeArticle.language == language)
    if category is not None:
        stmt = stmt.where(KnowledgeArticle.category == category)
    if published is not None:
        stmt = stmt.where(KnowledgeArticle.published.is_(published))
    if q:
        stmt = stmt.where(
            or_(
                KnowledgeArticle.title.icontains(q, autoescape=True),
                KnowledgeArticle.body.icontains(q, autoescape=True),
            )
        )
    return keyset_page(session, stmt, KnowledgeArticle, cursor, limit)


def slug_taken(
    session: Session, principal: Principal, slug: str, language: str, except_id: str | None = None
) -> bool:
    stmt = readable_articles(principal).where(
        KnowledgeArticle.slug == slug, KnowledgeArticle.language == language
    )
    if except_id:
        stmt = stmt.where(KnowledgeArticle.id != except_id)
    return session.scalars(stmt.with_only_columns(KnowledgeArticle.id).limit(1)).first() is not None
