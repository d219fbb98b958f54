"""The RODO pages render for admins (in Polish and English) and stay closed to agents."""

from tests.cases.factories import inbound
from tests.security.html_check import csp_nonce, page_problems


def _ok(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert page_problems(response.text, csp_nonce(response.headers["content-security-policy"])) == []
    return response.text


def test_admin_pages(db, runtime, channel, agent, admin):
    message = inbound(db, runtime, channel, "Proszę usunąć moje dane", name="Ewa <b>Nowak</b>")
    db.commit()
    request = agent.client.post(
        "/api/v1/privacy/requests",
        json={"kind": "erasure", "identity_kind": "email", "identity_value": "anna@example.pl"},
    ).json()
    home = _ok(admin.client, "/app/privacy")
    assert "Żądania osób (RODO)" in home and f"/app/privacy/requests/{request['id']}" in home
    assert "Próba na sucho" in home
    detail = _ok(admin.client, f"/app/privacy/requests/{request['id']}")
    assert "Usuń dane osoby" in detail and "Ewa &lt;b&gt;Nowak&lt;/b&gt;" in detail
    admin.client.post(f"/api/v1/privacy/requests/{request['id']}/erase").raise_for_status()
    done = _ok(admin.client, f"/app/privacy/requests/{request['id']}")
    assert "Usunęliśmy wszystkie" in done and "(usunięto)" in done
    audit = _ok(admin.client, "/app/privacy/audit?action=privacy.")
    assert "privacy.erasure" in audit and "privacy.request_opened" in audit
    admin.client.get("/lang/en")
    assert "Data subject requests (GDPR)" in _ok(admin.client, "/app/privacy")
    assert message.case_id


def test_agents_raise_requests_from_a_case_but_do_not_see_the_admin_pages(db, runtime, channel, agent):
    message = inbound(db, runtime, channel, "RODO")
    db.commit()
    case_page = agent.client.get(f"/app/cases/{message.case_id}").text
    assert f'href="/app/privacy/new?case_id={message.case_id}"' in case_page
    form = _ok(agent.client, f"/app/privacy/new?case_id={message.case_id}")
    assert f'data-case-id="{message.case_id}"' in form and "anna@example.pl" in form
    for path in ("/app/privacy", "/app/privacy/audit"):
        assert agent.client.get(path).status_code == 403
    assert agent.client.get("/app/privacy/new?case_id=01unknown").status_code == 404
