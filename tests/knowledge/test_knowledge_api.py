"""Knowledge articles through the admin API."""

import pytest
from sqlalchemy import func, select

from sprawa.knowledge.models import KnowledgeArticle
from tests.factories import assert_error, make_actor

ARTICLE = {
    "slug": "zwroty",
    "language": "pl",
    "title": "Zwroty towaru",
    "body": "# Zwroty\n\nMasz **30 dni** na zwrot.",
    "category": "zwroty",
    "tags": ["returns"],
}


def _count(db, *where) -> int:
    value = db.scalar(select(func.count()).select_from(KnowledgeArticle).where(*where))
    db.commit()
    return value


def _article(db, workspace, **kwargs) -> KnowledgeArticle:
    article = KnowledgeArticle(workspace_id=workspace.id, **{**ARTICLE, **kwargs})
    db.add(article)
    db.commit()
    return article


def test_create_and_get(admin, db):
    response = admin.client.post("/api/v1/knowledge", json=ARTICLE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        **ARTICLE,
        "id": body["id"],
        "published": True,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert admin.client.get(f"/api/v1/knowledge/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": "x" * 100_001}, "body"),
        ({"body": ""}, "body"),
        ({"slug": "Zwroty i reklamacje"}, "slug"),
        ({"language": "fr"}, "language"),
        ({"title": " "}, "title"),
        ({"tags": ["A B"]}, "tags.0"),
        ({"category": "c" * 65}, "category"),
        ({"author": "ja"}, "author"),
    ],
)
def test_bad_input(admin, db, change, field):
    response = admin.client.post("/api/v1/knowledge", json={**ARTICLE, **change})
    assert_error(response, 422, "invalid_input")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert _count(db) == 0


def test_body_of_exactly_100k_characters_is_accepted(admin):
    assert admin.client.post("/api/v1/knowledge", json={**ARTICLE, "body": "y" * 100_000}).status_code == 201


def test_slug_is_unique_per_language(admin, outsider, db, workspace):
    _article(db, workspace)
    assert_error(admin.client.post("/api/v1/knowledge", json=ARTICLE), 409, "slug_taken")
    assert admin.client.post("/api/v1/knowledge", json={**ARTICLE, "language": "en"}).status_code == 201
    other = admin.client.post("/api/v1/knowledge", json={**ARTICLE, "slug": "dostawa"}).json()
    assert_error(
        admin.client.patch(f"/api/v1/knowledge/{other['id']}", json={"slug": "zwroty"}), 409, "slug_taken"
    )
    # Another workspace has its own slugs.
    assert outsider.client.post("/api/v1/knowledge", json=ARTICLE).status_code == 201
    assert _count(db, KnowledgeArticle.slug == "zwroty") == 3


def test_update_bumps_the_version_only_on_change(admin, db, workspace):
    article = _article(db, workspace)
    url = f"/api/v1/knowledge/{article.id}"
    body = admin.client.patch(url, json={"body": "Nowa treść", "category": None}).json()
    assert (body["version"], body["body"], body["category"]) == (2, "Nowa treść", None)
    assert admin.client.patch(url, json={"body": "Nowa treść"}).json()["version"] == 2
    assert admin.client.patch(url, json={"tags": ["returns", "faq"]}).json()["version"] == 3
    assert_error(admin.client.patch(url, json={"title": None}), 422, "invalid_input")
    assert_error(admin.client.patch(url, json={"body": "z" * 100_001}), 422, "invalid_input")
    db.refresh(article)
    assert (article.version, article.title) == (3, "Zwroty towaru")


def test_publish_unpublish_and_delete(admin, db, workspace):
    article = _article(db, workspace)
    url = f"/api/v1/knowledge/{article.id}"
    unpublished = admin.client.post(f"{url}/unpublish").json()
    assert (unpublished["published"], unpublished["version"]) == (False, 1)
    listed = admin.client.get("/api/v1/knowledge", params={"published": "false"}).json()["items"]
    assert [a["id"] for a in listed] == [article.id]
    assert admin.client.post(f"{url}/publish").json()["published"] is True
    assert admin.client.delete(url).status_code == 204
    assert_error(admin.client.get(url), 404, "not_found")
    assert_error(admin.client.delete(url), 404, "not_found")
    assert _count(db) == 0


def test_list_filters_and_pages(agent, db, workspace):
    a = _article(db, workspace, slug="zwroty", title="Zwroty", body="Odeślij paczkę")
    b = _article(db, workspace, slug="dostawa", title="Dostawa kurierem", body="InPost", category="dostawa")
    c = _article(db, workspace, slug="delivery", language="en", title="Delivery", body="Courier 50%")
    listed = agent.client.get("/api/v1/knowledge").json()
    assert [x["id"] for x in listed["items"]] == sorted([a.id, b.id, c.id])
    assert "body" not in listed["items"][0]

    def ids(**params) -> list[str]:
        return [x["id"] for x in agent.client.get("/api/v1/knowledge", params=params).json()["items"]]

    assert ids(language="en") == [c.id]
    assert ids(category="dostawa") == [b.id]
    assert ids(q="KURIER") == [b.id]
    assert ids(q="paczk") == [a.id]
    assert ids(q="50%") == [c.id]
    assert ids(q="%") == [c.id]  # wildcards are literal characters
    assert ids(q="_") == []
    page = agent.client.get("/api/v1/knowledge", params={"limit": 2}).json()
    rest = agent.client.get("/api/v1/knowledge", params={"cursor": page["next_cursor"]}).json()
    assert [x["id"] for x in page["items"] + rest["items"]] == sorted([a.id, b.id, c.id])
    assert rest["next_cursor"] is None
    assert_error(agent.client.get("/api/v1/knowledge", params={"language": "xx"}), 422, "invalid_input")
    assert_error(agent.client.get("/api/v1/knowledge", params={"q": "q" * 201}), 422, "invalid_input")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_admins_write(db, workspace, app, role):
    article = _article(db, workspace)
    actor = make_actor(db, app, workspace, role)
    url = f"/api/v1/knowledge/{article.id}"
    try:
        assert actor.client.get(url).status_code == 200
        assert_error(
            actor.client.post("/api/v1/knowledge", json={**ARTICLE, "slug": "nowy"}), 403, "admin_only"
        )
        assert_error(actor.client.patch(url, json={"title": "Mój"}), 403, "admin_only")
        assert_error(actor.client.post(f"{url}/unpublish"), 403, "admin_only")
        assert_error(actor.client.delete(url), 403, "admin_only")
    finally:
        actor.client.close()
    db.refresh(article)
    assert (article.title, article.published, article.version) == ("Zwroty towaru", True, 1)
    assert _count(db) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"title": "Przejęty"}),
        ("post", "/publish", None),
        ("post", "/unpublish", None),
        ("delete", "", None),
    ],
)
def test_another_workspaces_articles_are_not_found(outsider, db, workspace, method, path, body):
    article = _article(db, workspace)
    kwargs = {"json": body} if body else {}
    response = getattr(outsider.client, method)(f"/api/v1/knowledge/{article.id}{path}", **kwargs)
    assert_error(response, 404, "not_found")
    db.refresh(article)
    assert (article.title, article.published, article.version) == ("Zwroty towaru", True, 1)


def test_lists_show_only_the_own_workspace(outsider, db, workspace):
    _article(db, workspace)
    assert outsider.client.get("/api/v1/knowledge", params={"q": "Zwroty"}).json()["items"] == []
