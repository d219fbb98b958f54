"""Two workspaces seeded with canary strings for the authorisation tests.

Workspace 1: teams X and Y, an agent in each, an admin, a scoped API token (agent role), two widget
visitors A and B (A's case belongs to team X, B's to team Y), an internal note. Workspace 2: an admin and
a full set of objects (customer, case, note, attachment, article, team, user, token, data request).
Every text carries a canary naming its scope, so any byte of a foreign scope in a response is found.
"""

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.auth.models import ApiToken, Role, TeamMember
from sprawa.cases.models import Attachment, Case, Note
from sprawa.channels.base import InboundAttachment
from sprawa.channels.models import ChannelKind
from sprawa.customers.models import CustomerMerge
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.platform.crypto import token_digest
from sprawa.privacy.models import DataSubjectRequest, RequestKind
from sprawa.runtime import Runtime
from sprawa.workspaces.models import Team
from tests.cases.factories import inbound
from tests.factories import make_actor, make_channel, make_user, make_workspace

W1X = "W1X-CANARY-b7q2"  # workspace 1, team X's case
W1Y = "W1Y-CANARY-k9d4"  # workspace 1, team Y's case
NOTE1 = "N1-CANARY-h2w8"  # workspace 1, an internal note (never for visitors)
VA = "VA-CANARY-p4r1"  # visitor A's own words
VB = "VB-CANARY-z6t5"  # visitor B's own words
W2 = "W2-CANARY-x3m8"  # everything of workspace 2
ALL = (W1X, W1Y, NOTE1, VA, VB, W2)


@dataclass
class Principal:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    client: TestClient | None = None
    workspace: int = 0  # 0: none (anonymous, visitors use the widget only)
    admin: bool = False
    foreign: tuple[str, ...] = ()


@dataclass
class World:
    principals: dict[str, Principal]
    ids: dict[int, dict[str, str]]  # workspace number -> path parameter name -> id
    events_case_ids: dict[str, str]
    visitor_tokens: dict[str, str]


def _plain_client(app: Any, actor: Any = None) -> TestClient:
    """A client that turns server errors into 500 answers (counted by the matrix), logged in as ``actor``."""
    client = TestClient(app, raise_server_exceptions=False)
    if actor is not None:
        client.cookies = actor.client.cookies
        client.headers["X-CSRF-Token"] = actor.client.headers["X-CSRF-Token"]
    return client


def _visitor(client: TestClient, public_key: str, text: str) -> tuple[str, str]:
    session = client.post(f"/widget/v1/{public_key}/sessions", json={"name": "Gość", "language": "pl"})
    assert session.status_code == 201, session.text
    token = session.json()["visitor_token"]
    headers = {"Authorization": f"Bearer {token}"}
    sent = client.post("/widget/v1/messages", json={"client_message_id": text, "text": text}, headers=headers)
    assert sent.status_code == 200, sent.text
    return token, sent.json()["case_id"]


def seed(db: Session, runtime: Runtime, app: Any, client: TestClient) -> World:
    ws1, ws2 = make_workspace(db, "matrix-1"), make_workspace(db, "matrix-2")
    team_x, team_y = Team(workspace_id=ws1.id, name="X"), Team(workspace_id=ws1.id, name="Y")
    team_2 = Team(workspace_id=ws2.id, name=f"Team {W2}")
    db.add_all([team_x, team_y, team_2])
    chat1 = make_channel(db, ws1, ChannelKind.WEBCHAT, name="Czat 1")
    chat2 = make_channel(db, ws2, ChannelKind.WEBCHAT, name="Czat 2")
    user2 = make_user(db, ws2, "agent", name=f"Agent {W2}")
    db.commit()

    agent_x, agent_y = make_actor(db, app, ws1, "agent"), make_actor(db, app, ws1, "agent")
    db.add_all([TeamMember(team_id=team_x.id, user_id=agent_x.user.id)])
    db.add_all([TeamMember(team_id=team_y.id, user_id=agent_y.user.id)])
    admin1, admin2 = make_actor(db, app, ws1, "admin"), make_actor(db, app, ws2, "admin")
    token = "spr_matrix-token-ws1"
    db.add(ApiToken(workspace_id=ws1.id, name="integration", role=Role.AGENT, token_hash=token_digest(token)))
    db.commit()

    token_a, case_a = _visitor(client, chat1.public_key, f"{VA} {W1X}")
    token_b, case_b = _visitor(client, chat1.public_key, f"{VB} {W1Y}")
    db.get(Case, case_a).team_id = team_x.id
    db.get(Case, case_b).team_id = team_y.id
    db.add(Note(workspace_id=ws1.id, case_id=case_a, author_user_id=agent_x.user.id, body_text=NOTE1))

    message2 = inbound(
        db,
        runtime,
        chat2,
        f"Wiadomość {W2}",
        email="w2-canary@example.pl",
        name=f"Klient {W2}",
        subject=f"Temat {W2}",
        attachments=[InboundAttachment(f"plik-{W2}.txt", "text/plain", W2.encode())],
    )
    other2 = inbound(db, runtime, chat2, f"Druga {W2}", email="w2-other@example.pl", thread="t-2")
    note2 = Note(
        workspace_id=ws2.id, case_id=message2.case_id, author_user_id=user2.id, body_text=f"Notatka {W2}"
    )
    article2 = KnowledgeArticle(workspace_id=ws2.id, slug="w2", title=f"Artykuł {W2}", body=f"Treść {W2}")
    article1 = KnowledgeArticle(workspace_id=ws1.id, slug="w1", title="Zwroty W1", body=f"Treść {W1X}")
    db.add_all([note2, article2, article1])
    db.flush()
    case2 = db.get(Case, message2.case_id)
    merge2 = CustomerMerge(
        workspace_id=ws2.id,
        source_id=db.get(Case, other2.case_id).customer_id,
        target_id=case2.customer_id,
        moved={},
        reason=f"test {W2}",
    )
    from sprawa.db import utcnow
    from sprawa.privacy.actions.requests import one_month_after

    request2 = DataSubjectRequest(
        workspace_id=ws2.id,
        kind=RequestKind.ACCESS,
        identity_kind="email",
        identity_value="w2-canary@example.pl",
        customer_id=case2.customer_id,
        note=f"Prośba {W2}",
        due_at=one_month_after(utcnow()),
        result={},
    )
    db.add_all([merge2, request2])
    db.flush()
    token2 = db.scalars(select(ApiToken).where(ApiToken.workspace_id == ws1.id)).first()
    attachment2 = db.scalars(select(Attachment).where(Attachment.workspace_id == ws2.id)).one()
    ids2 = {
        "case_id": case2.id,
        "customer_id": case2.customer_id,
        "attachment_id": attachment2.id,
        "channel_id": chat2.id,
        "article_id": article2.id,
        "team_id": team_2.id,
        "user_id": user2.id,
        "token_id": make_token2(db, ws2.id),
        "request_id": request2.id,
        "merge_id": merge2.id,
        "message_id": message2.id,
        "note_id": note2.id,
        "into_case_id": db.get(Case, other2.case_id).id,
        "into_customer_id": db.get(Case, other2.case_id).customer_id,
        "thread_id": message2.thread_id,
        "channel_public_key": chat2.public_key,
    }
    ids1 = {
        "case_id": case_a,
        "customer_id": db.get(Case, case_a).customer_id,
        "channel_id": chat1.id,
        "article_id": article1.id,
        "team_id": team_x.id,
        "user_id": agent_x.user.id,
        "token_id": token2.id if token2 else "",
        "into_case_id": case_b,
        "into_customer_id": db.get(Case, case_b).customer_id,
        "channel_public_key": chat1.public_key,
    }
    db.commit()

    ws1_foreign = (W2,)
    principals = {
        "anonymous": Principal("anonymous", client=_plain_client(app), foreign=ALL),
        "visitor_a": Principal(
            "visitor_a",
            {"Authorization": f"Bearer {token_a}"},
            _plain_client(app),
            foreign=(W1Y, VB, NOTE1, W2),
        ),
        "visitor_b": Principal(
            "visitor_b",
            {"Authorization": f"Bearer {token_b}"},
            _plain_client(app),
            foreign=(W1X, VA, NOTE1, W2),
        ),
        "agent_team_x": Principal(
            "agent_team_x", client=_plain_client(app, agent_x), workspace=1, foreign=ws1_foreign
        ),
        "agent_team_y": Principal(
            "agent_team_y", client=_plain_client(app, agent_y), workspace=1, foreign=ws1_foreign
        ),
        "admin_ws1": Principal(
            "admin_ws1", client=_plain_client(app, admin1), workspace=1, admin=True, foreign=ws1_foreign
        ),
        "admin_ws2": Principal(
            "admin_ws2",
            client=_plain_client(app, admin2),
            workspace=2,
            admin=True,
            foreign=(W1X, W1Y, NOTE1, VA, VB),
        ),
        "api_token_ws1": Principal(
            "api_token_ws1",
            {"Authorization": f"Bearer {token}"},
            _plain_client(app),
            workspace=1,
            foreign=ws1_foreign,
        ),
    }
    return World(
        principals=principals,
        ids={1: ids1, 2: ids2},
        events_case_ids={"a": case_a, "b": case_b},
        visitor_tokens={"a": token_a, "b": token_b},
    )


def make_token2(db: Session, workspace_id: str) -> str:
    row = ApiToken(
        workspace_id=workspace_id, name=f"ws2 {W2}", role=Role.ADMIN, token_hash=token_digest("spr_w2")
    )
    db.add(row)
    db.flush()
    return row.id
