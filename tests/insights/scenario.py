"""A small shop's week with known timestamps: every metric of it is computed by hand in the tests.

Europe/Warsaw in January is UTC+1. Business hours: Mon–Fri 09:00–17:00 local (08:00–16:00 UTC), and
Tuesday 2026-01-13 is a closed day. The period under test is Mon 2026-01-12 .. Sun 2026-01-18; "now" is
2026-02-01 12:00 UTC, so every 7-day window is over.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.ai.models import AIDecision, AIFlag, FlagKind
from sprawa.cases.models import AuthorKind, Case, CaseStatus
from sprawa.channels.models import ChannelKind
from sprawa.commerce.models import Order
from sprawa.insights.actions.history import Decide, History, Move, Say
from sprawa.insights.models import SurveyKind
from sprawa.workspaces.models import Policy, PolicyKind, Team
from tests.factories import make_channel, make_user

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
CUSTOMER, AGENT, AI = AuthorKind.CUSTOMER, AuthorKind.AGENT, AuthorKind.AI


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@dataclass
class Week:
    cases: dict[str, Case]
    agent_id: str
    team_id: str
    channels: dict[str, str]


def seed_week(db: Session, workspace) -> Week:  # type: ignore[no-untyped-def]
    ws = workspace.id
    db.add(
        Policy(
            workspace_id=ws,
            kind=PolicyKind.BUSINESS_HOURS,
            data={
                "timezone": "Europe/Warsaw",
                "days": {
                    d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
                },
                "closed_dates": ["2026-01-13"],
            },
        )
    )
    agent = make_user(db, workspace, "agent", name="Ewa Agentka")
    team = Team(workspace_id=ws, name="Zwroty", skills=["returns"])
    db.add(team)
    chat = make_channel(db, workspace, ChannelKind.WEBCHAT, name="Czat")
    mail = make_channel(db, workspace, ChannelKind.EMAIL, name="E-mail")
    wa = make_channel(db, workspace, ChannelKind.WHATSAPP, name="WhatsApp")
    form = make_channel(db, workspace, ChannelKind.FORM, name="Formularz")
    db.flush()
    h = History(db, ws)
    a = h.customer("Anna A", at=at(1, 8))
    b = h.customer("Bartek B", at=at(1, 8))
    c = h.customer("Celina C", at=at(1, 8))
    d = h.customer("Dawid D", at=at(1, 8))
    e = h.customer("Ela E", at=at(1, 8))
    u = agent.id
    cases = {
        # Resolved by the AI on its first answer, nothing more from Anna on this matter.
        "C1": h.case(
            a,
            chat,
            [
                Say(at(12, 8, 30), CUSTOMER, "Gdzie jest moja paczka 100001?"),
                Decide(at(12, 8, 31)),
                Say(at(12, 8, 31), AI, "Paczka jest w drodze, dotrze jutro."),
                Move(at(12, 8, 32), CaseStatus.RESOLVED, AI),
            ],
            subject="Gdzie paczka",
            intent="order_status",
        ),
        # Answered next (closed) day, resolved, Bartek writes again on Wednesday: reopened, resolved again.
        "C2": h.case(
            b,
            mail,
            [
                Say(at(12, 15, 30), CUSTOMER, "Chcę zwrócić buty."),
                Say(at(13, 8, 30), AGENT, "Proszę odesłać paczkę na nasz adres.", u),
                Move(at(13, 8, 31), CaseStatus.RESOLVED, AGENT, u),
                Say(at(14, 10, 0), CUSTOMER, "A gdzie jest etykieta?"),
                Say(at(14, 10, 30), AGENT, "Etykieta jest w załączniku.", u),
                Move(at(14, 10, 40), CaseStatus.RESOLVED, AGENT, u),
            ],
            subject="Zwrot butów",
            intent="return",
            team_id=team.id,
            assignee_id=u,
        ),
        # The AI answers, then escalates (no knowledge found); a person resolves it.
        "C3": h.case(
            c,
            wa,
            [
                Say(at(13, 9, 0), CUSTOMER, "Czy ten czajnik ma filtr kamienia?"),
                Say(at(13, 9, 1), AI, "Sprawdzę to u kolegów."),
                Decide(at(13, 9, 2), reasons=("low_confidence",), found=False),
                Say(at(13, 9, 30), AGENT, "Tak, ma wyjmowany filtr.", u),
                Move(at(13, 9, 31), CaseStatus.RESOLVED, AGENT, u),
            ],
            subject="Czajnik",
            intent="product",
        ),
        # Anna again, another matter (invoice): a first-contact resolution, and no repeat of C1.
        "C4": h.case(
            a,
            chat,
            [
                Say(at(15, 12, 0), CUSTOMER, "Proszę o fakturę."),
                Say(at(15, 12, 10), AGENT, "Faktura wysłana.", u),
                Move(at(15, 12, 15), CaseStatus.RESOLVED, AGENT, u),
            ],
            subject="Faktura",
            intent="invoice",
        ),
        # Resolved by the AI, but Dawid comes back next day in a new case (intent unknown): repeat contact.
        "C5": h.case(
            d,
            mail,
            [
                Say(at(16, 10, 0), CUSTOMER, "Kiedy wysyłka?"),
                Say(at(16, 10, 2), AI, "Wysyłka jutro."),
                Move(at(16, 10, 3), CaseStatus.RESOLVED, AI),
            ],
            subject="Wysyłka",
            intent="order_status",
        ),
        "C6": h.case(d, mail, [Say(at(17, 9, 0), CUSTOMER, "Dalej nic nie przyszło!")], subject="Nadal nic"),
        # Sunday evening, answered Monday morning, waiting for the customer.
        "C7": h.case(
            e,
            form,
            [
                Say(at(18, 20, 0), CUSTOMER, "Pytanie o rozmiar."),
                Say(at(19, 9, 0), AGENT, "Rozmiar M będzie dobry.", u),
                Move(at(19, 9, 1), CaseStatus.PENDING_CUSTOMER, AGENT, u),
            ],
            subject="Rozmiar",
            intent="product",
        ),
        # The previous period (Jan 5–11).
        "P1": h.case(
            e,
            chat,
            [
                Say(at(7, 12, 0), CUSTOMER, "Czy jest kolor czerwony?"),
                Say(at(7, 12, 30), AGENT, "Tak.", u),
                Move(at(7, 13, 0), CaseStatus.RESOLVED, AGENT, u),
            ],
            subject="Kolor",
            intent="product",
        ),
    }
    cs = cases
    h.survey(cs["C1"], SurveyKind.CSAT, sent_at=at(12, 9), score=5, answered_at=at(12, 10))
    h.survey(
        cs["C2"], SurveyKind.CSAT, sent_at=at(14, 11), score=2, answered_at=at(14, 12), comment="Za długo"
    )
    h.survey(cs["C4"], SurveyKind.CSAT, sent_at=at(15, 13))
    h.survey(cs["C5"], SurveyKind.CSAT, sent_at=at(16, 11), score=4, answered_at=at(16, 12))
    h.survey(cs["C1"], SurveyKind.NPS, sent_at=at(12, 9), score=10, answered_at=at(12, 10))
    h.survey(cs["C2"], SurveyKind.NPS, sent_at=at(14, 11), score=3, answered_at=at(14, 12))
    h.survey(cs["C5"], SurveyKind.NPS, sent_at=at(16, 11), score=8, answered_at=at(16, 12))
    h.survey(cs["C7"], SurveyKind.NPS, sent_at=at(18, 21), score=9, answered_at=at(18, 22))
    db.flush()
    decision_id = db.scalar(select(AIDecision.id).where(AIDecision.case_id == cs["C3"].id))
    db.add(
        AIFlag(workspace_id=ws, case_id=cs["C3"].id, decision_id=decision_id, user_id=u, kind=FlagKind.WRONG)
    )
    for number, customer, placed, total in (
        ("500001", a, at(12, 10), "100.00"),
        ("500002", b, at(14, 9), "300.00"),
        ("500003", e, at(19, 10), "50.00"),
    ):
        db.add(
            Order(
                workspace_id=ws,
                external_id=number,
                number=number,
                customer_id=customer.id,
                status="paid",
                payment_status="paid",
                total=Decimal(total),
                placed_at=placed,
            )
        )
    db.flush()
    return Week(
        cases=cases,
        agent_id=u,
        team_id=team.id,
        channels={"chat": chat.id, "mail": mail.id, "wa": wa.id, "form": form.id},
    )
