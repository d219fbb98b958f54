"""Writes on knowledge articles; every change is announced so that search indexes can follow."""

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.knowledge.queries import access_article, slug_taken
from sprawa.knowledge.schemas import ArticleIn, ArticlePatch
from sprawa.platform.errors import Conflict, Forbidden
from sprawa.platform.events import Event, emit

CONTENT_FIELDS = ("slug", "language", "title", "body", "category", "tags")


def _check_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")


def _check_slug_free(
    session: Session, actor: Principal, slug: str, language: str, except_id: str | None = None
) -> None:
    if slug_taken(session, actor, slug, language, except_id):
        raise Conflict(f"an article {slug!r} in {language} already exists", code="slug_taken")


def _emit(session: Session, action: str, article: KnowledgeArticle) -> None:
    data = {"id": article.id, "action": action, "language": article.language, "version": article.version}
    emit(session, Event("knowledge.changed", article.workspace_id, data))


def do_create_article(session: Session, actor: Principal, body: ArticleIn) -> KnowledgeArticle:
    _check_admin(actor)
    _check_slug_free(session, actor, body.slug, body.language)
    article = KnowledgeArticle(workspace_id=actor.workspace_id, version=1, **body.model_dump())
    session.add(article)
    session.flush()
    _emit(session, "created", article)
    return article


def do_update_article(
    session: Session, actor: Principal, article_id: str, patch: ArticlePatch
) -> KnowledgeArticle:
    """Change the content; the version grows by one when anything actually changed."""
    _check_admin(actor)
    article = access_article(session, actor, article_id, for_update=True)
    sent = {k: v for k, v in patch.changes().items() if getattr(article, k) != v}
    if not sent:
        return article
    slug, language = sent.get("slug", article.slug), sent.get("language", article.language)
    if "slug" in sent or "language" in sent:
        _check_slug_free(session, actor, slug, language, article.id)
    for key, value in sent.items():
        setattr(article, key, list(value) if key == "tags" else value)
    article.version += 1
    session.flush()
    _emit(session, "updated", article)
    return article


def do_set_article_published(
    session: Session, actor: Principal, article_id: str, published: bool
) -> KnowledgeArticle:
    """Publish or withdraw an article (only published articles ground answers); not a content change."""
    _check_admin(actor)
    article = access_article(session, actor, article_id, for_update=True)
    if article.published != published:
        article.published = published
        session.flush()
        _emit(session, "published" if published else "unpublished", article)
    return article


def do_delete_article(session: Session, actor: Principal, article_id: str) -> None:
    _check_admin(actor)
    article = access_article(session, actor, article_id, for_update=True)
    _emit(session, "deleted", article)
    session.delete(article)
    session.flush()
