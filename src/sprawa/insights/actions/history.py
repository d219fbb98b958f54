"""Writing past case histories with their real timestamps (demo seeding and the exact metric tests).

Live writes stamp rows with "now"; a history of 90 days needs every message, status change, AI decision
and survey answer at its own moment. ``History.case`` writes exactly the rows the live services write
(thread, case, messages with seq numbers, status activities, AI decisions) so the metrics read them the
same way.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sprawa.ai.models import AIDecision
from sprawa.cases.models import (
    AuthorKind,
    Case,
    CaseActivity,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from sprawa.cases.service import next_case_number
from sprawa.channels.models import Channel, Thread
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.insights.models import SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus
from sprawa.platform.ids import new_id


@dataclass(frozen=True)
class Say:
    """A message: ``by`` customer (inbound), agent or ai (outbound)."""

    at: datetime
    by: AuthorKind
    text: str
    user_id: str | None = None


@dataclass(frozen=True)
class Move:
    """A status change (``to``), made by an agent, the AI, the customer (a reopen) or the system."""

    at: datetime
    to: CaseStatus
    by: AuthorKind = AuthorKind.AGENT
    user_id: str | None = None


@dataclass(frozen=True)
class Decide:
    """An AI decision; ``reasons`` non-empty means it escalated; ``found`` whether knowledge matched."""

    at: datetime
    reasons: tuple[str, ...] = ()
    found: bool = True
    intent: str | None = None


@dataclass
class _State:
    status: CaseStatus = CaseStatus.NEW
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened: int = 0
    first_response_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_message_id: str | None = None
    messages: list[Message] = field(default_factory=list)


class History:
    """Writes cases of one workspace as they happened."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def customer(
        self, name: str, *, email: str | None = None, at: datetime, language: str = "pl"
    ) -> Customer:
        customer = Customer(
            id=new_id(),
            workspace_id=self.workspace_id,
            name=name,
            email=email,
            language=language,
            created_at=at,
            last_seen_at=at,
        )
        self.session.add(customer)
        return customer

    def case(
        self,
        customer: Customer,
        channel: Channel,
        steps: list[Say | Move | Decide],
        *,
        subject: str,
        intent: str | None = None,
        team_id: str | None = None,
        assignee_id: str | None = None,
        language: str = "pl",
        first_response_due: timedelta = timedelta(hours=1),
        resolution_due: timedelta = timedelta(hours=24),
    ) -> Case:
        steps = sorted(steps, key=lambda s: s.at)
        created = steps[0].at
        case = Case(
            id=new_id(),
            workspace_id=self.workspace_id,
            number=next_case_number(self.session, self.workspace_id),
            customer_id=customer.id,
            subject=subject,
            channel_id=channel.id,
            intent=intent,
            team_id=team_id,
            assignee_id=assignee_id,
            language=language,
            first_response_due_at=created + first_response_due,
            resolution_due_at=created + resolution_due,
            created_at=created,
            last_message_at=created,
        )
        self.session.add(case)
        # No relationships between these models: flush parents first so rows go in foreign-key order.
        self.session.flush()
        thread = Thread(
            id=new_id(),
            workspace_id=self.workspace_id,
            channel_id=channel.id,
            customer_id=customer.id,
            case_id=case.id,
            external_id=f"history-{case.id}",
            subject=subject,
            created_at=created,
            last_message_at=created,
        )
        self.session.add(thread)
        self.session.flush()
        state = _State()
        for step in steps:
            if isinstance(step, Say):
                self._say(case, thread, customer, state, step, language)
            elif isinstance(step, Move):
                self._move(case, state, step)
            else:
                self._decide(case, state, step, language)
        case.status = state.status
        case.resolved_at = state.resolved_at
        case.closed_at = state.closed_at
        case.reopened_count = state.reopened
        case.first_response_at = state.first_response_at
        case.last_inbound_at = state.last_inbound_at
        case.last_seq = len(state.messages)
        case.last_message_at = state.messages[-1].created_at if state.messages else created
        thread.last_message_at = case.last_message_at
        return case

    def _say(
        self, case: Case, thread: Thread, customer: Customer, state: _State, step: Say, language: str
    ) -> None:
        inbound = step.by == AuthorKind.CUSTOMER
        message = Message(
            id=new_id(),
            workspace_id=self.workspace_id,
            case_id=case.id,
            thread_id=thread.id,
            channel_id=thread.channel_id,
            customer_id=customer.id,
            seq=len(state.messages) + 1,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            author_kind=step.by,
            author_user_id=step.user_id,
            body_text=step.text,
            delivery_status=DeliveryStatus.RECEIVED if inbound else DeliveryStatus.DELIVERED,
            language=language,
            created_at=step.at,
            sent_at=None if inbound else step.at,
            delivered_at=None if inbound else step.at,
        )
        self.session.add(message)
        state.messages.append(message)
        if inbound:
            state.last_inbound_at = step.at
            state.last_message_id = message.id
            if state.status in (CaseStatus.RESOLVED, CaseStatus.PENDING_CUSTOMER):
                self._move(case, state, Move(step.at, CaseStatus.OPEN, AuthorKind.CUSTOMER))
        else:
            if state.first_response_at is None:
                state.first_response_at = step.at
            if state.status == CaseStatus.NEW:
                state.status = CaseStatus.OPEN

    def _move(self, case: Case, state: _State, step: Move) -> None:
        if state.status == step.to:
            return
        before = state.status
        if before == CaseStatus.RESOLVED and step.to == CaseStatus.OPEN:
            state.reopened += 1
            state.resolved_at = None
        if step.to == CaseStatus.RESOLVED:
            state.resolved_at = step.at
        if step.to == CaseStatus.CLOSED:
            state.closed_at = step.at
            state.resolved_at = state.resolved_at or step.at
        state.status = step.to
        self.session.add(
            CaseActivity(
                workspace_id=self.workspace_id,
                case_id=case.id,
                actor_kind=step.by,
                actor_user_id=step.user_id,
                kind="status",
                data={"from": str(before), "to": str(step.to)},
                created_at=step.at,
            )
        )

    def _decide(self, case: Case, state: _State, step: Decide, language: str) -> None:
        self.session.add(
            AIDecision(
                workspace_id=self.workspace_id,
                case_id=case.id,
                message_ids=[state.last_message_id] if state.last_message_id else [],
                language=language,
                intent=step.intent or case.intent,
                passages=[{"article": "seeded"}] if step.found else [],
                chosen="escalate" if step.reasons else "answer",
                reason="escalated: " + ", ".join(step.reasons) if step.reasons else "answered from knowledge",
                escalation_reasons=list(step.reasons),
                created_at=step.at,
            )
        )

    def survey(
        self,
        case: Case,
        kind: SurveyKind,
        *,
        sent_at: datetime,
        score: int | None = None,
        answered_at: datetime | None = None,
        comment: str | None = None,
    ) -> SurveyRequest:
        """A survey sent for a case, answered with ``score`` at ``answered_at`` (or never)."""
        request = SurveyRequest(
            id=new_id(),
            workspace_id=self.workspace_id,
            customer_id=case.customer_id,
            case_id=case.id,
            channel_id=case.channel_id,
            kind=kind,
            status=SurveyStatus.ANSWERED if score is not None else SurveyStatus.SENT,
            language=case.language or "pl",
            send_at=sent_at,
            sent_at=sent_at,
            answered_at=answered_at if score is not None else None,
            created_at=sent_at,
        )
        self.session.add(request)
        self.session.flush()
        if score is not None:
            self.session.add(
                SurveyResponse(
                    workspace_id=self.workspace_id,
                    customer_id=case.customer_id,
                    case_id=case.id,
                    channel_id=case.channel_id,
                    request_id=request.id,
                    kind=kind,
                    score=score,
                    comment=comment,
                    created_at=answered_at or sent_at,
                )
            )
        return request


# ------------------------------------------------------------------------------------------ demo history

DEMO_DAYS = 90
DEMO_INTENTS = [
    (
        "order_status",
        30,
        "Gdzie jest moja paczka z zamówienia?",
        "Paczka jest w drodze, kurier doręczy ją jutro.",
    ),
    (
        "return",
        18,
        "Chcę zwrócić sukienkę, jest za duża.",
        "Zwrot przyjmiemy w ciągu 30 dni — etykieta w mailu.",
    ),
    ("complaint", 8, "Kubek przyszedł pęknięty.", "Przepraszamy! Wyślemy nowy kubek jeszcze dziś."),
    ("invoice", 8, "Proszę o fakturę na firmę.", "Faktura jest już w Państwa skrzynce."),
    ("payment", 8, "Zapłaciłem BLIK-iem dwa razy.", "Nadpłatę zwróciliśmy na konto, będzie w 1–3 dni."),
    ("address_change", 6, "Czy mogę zmienić paczkomat?", "Zmieniliśmy paczkomat zgodnie z prośbą."),
    ("cancel", 7, "Proszę anulować moje zamówienie.", "Zamówienie anulowane, środki wrócą tą samą metodą."),
    ("product", 15, "Czy ta kurtka jest wodoodporna?", "Tak, ma membranę 10 000 mm i klejone szwy."),
]
#: Questions the shop's knowledge does not answer (they become the "top unanswered" topics).
DEMO_MISSES = [
    "Czy wysyłacie paczki do Norwegii?",
    "Czy wysyłka do Norwegii jest możliwa i ile kosztuje?",
    "Ile kosztuje wysyłka do Norwegii?",
    "Czy mogę zapłacić kartą podarunkową z innego sklepu?",
    "Czy karta podarunkowa działa w sklepie stacjonarnym?",
    "Czy krem jest wegański i nietestowany na zwierzętach?",
    "Czy kosmetyki są wegańskie?",
    "Czy mogę odebrać zamówienie osobiście w Krakowie?",
]
DEMO_REASONS = [
    "human_request",
    "frustration",
    "complaint",
    "low_confidence",
    "approval_required",
    "repeat_contact",
]
FIRST_NAMES = [
    "Anna",
    "Piotr",
    "Katarzyna",
    "Marek",
    "Magdalena",
    "Tomasz",
    "Agnieszka",
    "Paweł",
    "Joanna",
    "Michał",
]
LAST_NAMES = [
    "Kowalska",
    "Nowak",
    "Wiśniewska",
    "Wójcik",
    "Kamińska",
    "Lewandowski",
    "Zielińska",
    "Szymański",
]
CHANNEL_WEIGHTS = {"webchat": 35, "email": 30, "whatsapp": 12, "messenger": 8, "allegro": 10, "form": 5}


def seed_demo_history(
    session: Session, workspace_id: str, *, now: datetime, seed: int = 7, days: int = DEMO_DAYS
) -> int:
    """90 days of a shop's support with trends (the AI resolves more over time, answers get faster).

    Deterministic for a seed; writes about 5 cases a day with messages, status history, AI decisions,
    surveys and a few agent flags. Returns the number of cases written.
    """
    import random

    from sqlalchemy import select

    from sprawa.ai.models import AIFlag, FlagKind
    from sprawa.auth.models import Role, User
    from sprawa.insights.actions.facts import BusinessCalendar
    from sprawa.workspaces.models import Team

    rng = random.Random(seed)
    channels = {
        c.kind: c for c in session.scalars(select(Channel).where(Channel.workspace_id == workspace_id))
    }
    weighted = [(channels[k], w) for k, w in CHANNEL_WEIGHTS.items() if k in channels]
    if not weighted:
        return 0
    agents = list(
        session.scalars(
            select(User)
            .where(User.workspace_id == workspace_id, User.role == Role.AGENT)
            .order_by(User.email)
        )
    )
    teams = {
        skill: team.id
        for team in session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
        for skill in team.skills
    }
    calendar = BusinessCalendar.for_workspace(session, workspace_id)
    history = History(session, workspace_id)
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    customers: list[Customer] = []
    recent: dict[str, tuple[Customer, str, datetime]] = {}
    written = 0

    def open_at(t: datetime) -> datetime:
        """The first moment at or after ``t`` the shop is open (people answer then)."""
        probe = t
        for _ in range(24 * 14):
            if calendar.seconds(probe, probe + timedelta(minutes=15)) > 0:
                return max(probe, t)
            probe = probe.replace(minute=0) + timedelta(hours=1)
        return t

    for day in range(days):
        progress = day / days  # 0 → 1 over the 90 days: the AI gets better, people answer faster
        date0 = start + timedelta(days=day)
        weekday = date0.weekday()
        count = rng.randint(3, 7) if weekday < 5 else rng.randint(1, 4)
        for _ in range(count):
            hour = rng.choices(
                range(24), [1, 1, 1, 1, 1, 2, 3, 6, 9, 10, 10, 9, 8, 9, 9, 9, 8, 8, 9, 10, 9, 7, 4, 2]
            )[0]
            created = date0.replace(hour=hour, minute=rng.randrange(60))
            if created >= now - timedelta(minutes=30):
                continue
            channel = rng.choices([c for c, _ in weighted], [w for _, w in weighted])[0]
            intent, _w, question, answer = rng.choices(DEMO_INTENTS, [w for _, w, _, _ in DEMO_INTENTS])[0]
            repeat = None
            if recent and rng.random() < 0.08:
                repeat = rng.choice(list(recent.values()))
                if created - repeat[2] > timedelta(days=7) or created <= repeat[2]:
                    repeat = None
            if repeat is not None:
                customer, intent, _ = repeat
                question = "Piszę ponownie w tej samej sprawie — nadal nic się nie zmieniło."
            elif customers and rng.random() < 0.3:
                customer = rng.choice(customers)
            else:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                customer = history.customer(name, email=f"klient{len(customers) + 1}@example.pl", at=created)
                customers.append(customer)
            agent = rng.choice(agents) if agents else None
            uid = agent.id if agent else None
            steps: list[Say | Move | Decide] = [Say(created, AuthorKind.CUSTOMER, question)]
            roll = rng.random()
            ai_resolves = 0.22 + 0.25 * progress
            escalates = 0.18
            age = now - created
            reopen = rng.random() < 0.07
            answered_by_ai = False
            if roll < ai_resolves and repeat is None:
                t = created + timedelta(seconds=rng.randint(5, 40))
                steps += [Decide(t), Say(t, AuthorKind.AI, answer)]
                steps.append(
                    Move(t + timedelta(minutes=rng.randint(1, 30)), CaseStatus.RESOLVED, AuthorKind.AI)
                )
                answered_by_ai = True
            else:
                t = created + timedelta(seconds=rng.randint(5, 40))
                if roll < ai_resolves + escalates:
                    miss = rng.random() < 0.45
                    reason = "low_confidence" if miss else rng.choice(DEMO_REASONS)
                    if miss:
                        steps[0] = Say(created, AuthorKind.CUSTOMER, rng.choice(DEMO_MISSES))
                    steps += [
                        Say(
                            t,
                            AuthorKind.AI,
                            "Przekazuję sprawę koledze z zespołu, odpisze najszybciej, jak to możliwe.",
                        ),
                        Decide(t, reasons=(reason,), found=not miss),
                    ]
                delay = timedelta(minutes=rng.randint(5, int(150 - 110 * progress)))
                reply_at = open_at(created + delay)
                if reply_at >= now:
                    history.case(
                        customer, channel, steps, subject=question[:60], intent=intent, language="pl"
                    )
                    written += 1
                    continue
                steps.append(Say(reply_at, AuthorKind.AGENT, answer, uid))
                if rng.random() < 0.25:  # the customer asks once more before it is settled
                    follow = reply_at + timedelta(minutes=rng.randint(10, 300))
                    again = open_at(follow + timedelta(minutes=rng.randint(5, 60)))
                    if again < now:
                        steps += [
                            Say(follow, AuthorKind.CUSTOMER, "Dziękuję, a kiedy dokładnie?"),
                            Say(again, AuthorKind.AGENT, "Najpóźniej w piątek, potwierdzimy mailowo.", uid),
                        ]
                last = max(s.at for s in steps)
                if age > timedelta(days=2) or rng.random() < 0.5:
                    steps.append(
                        Move(
                            last + timedelta(minutes=rng.randint(1, 20)),
                            CaseStatus.RESOLVED,
                            AuthorKind.AGENT,
                            uid,
                        )
                    )
                else:
                    steps.append(
                        Move(last + timedelta(minutes=1), CaseStatus.PENDING_CUSTOMER, AuthorKind.AGENT, uid)
                    )
            resolved = next(
                (s.at for s in steps if isinstance(s, Move) and s.to == CaseStatus.RESOLVED), None
            )
            if reopen and resolved is not None:
                back = resolved + timedelta(hours=rng.randint(2, 40))
                fixed = open_at(back + timedelta(minutes=rng.randint(10, 90)))
                if fixed + timedelta(minutes=5) < now:
                    steps += [
                        Say(back, AuthorKind.CUSTOMER, "Niestety problem wrócił."),
                        Say(fixed, AuthorKind.AGENT, "Przepraszamy, już to poprawiamy.", uid),
                        Move(fixed + timedelta(minutes=5), CaseStatus.RESOLVED, AuthorKind.AGENT, uid),
                    ]
            team_id = teams.get("returns" if intent in ("return", "complaint") else "general")
            case = history.case(
                customer,
                channel,
                steps,
                subject=question[:60],
                intent=intent,
                team_id=team_id,
                assignee_id=None if answered_by_ai else uid,
                language="pl",
            )
            written += 1
            recent[customer.id] = (customer, intent, created)
            if resolved is not None and (resolved + timedelta(hours=1)) < now:
                _demo_surveys(history, rng, case, resolved, now, answered_by_ai, reopen)
            if answered_by_ai and rng.random() < 0.06 and agents:
                decision = session.scalar(select(AIDecision.id).where(AIDecision.case_id == case.id))
                if decision:
                    session.add(
                        AIFlag(
                            workspace_id=workspace_id,
                            case_id=case.id,
                            decision_id=decision,
                            user_id=agents[0].id,
                            kind=rng.choice(list(FlagKind)),
                            created_at=resolved or created,
                        )
                    )
    session.flush()
    return written


def _demo_surveys(
    history: History, rng: Any, case: Case, resolved: datetime, now: datetime, by_ai: bool, reopened: bool
) -> None:
    sent = resolved + timedelta(hours=1)
    if rng.random() < 0.45:
        answered = sent + timedelta(minutes=rng.randint(2, 600))
        if answered < now:
            weights = [3, 3, 8, 30, 56] if not reopened else [20, 25, 25, 20, 10]
            score = rng.choices([1, 2, 3, 4, 5], weights)[0]
            comment = {1: "Długo czekałam na odpowiedź.", 5: "Szybko i konkretnie, dziękuję!"}.get(score)
            history.survey(
                case, SurveyKind.CSAT, sent_at=sent, score=score, answered_at=answered, comment=comment
            )
            if rng.random() < 0.4:
                nps = rng.choices(range(11), [1, 1, 1, 2, 2, 3, 4, 8, 14, 20, 18])[0]
                history.survey(case, SurveyKind.NPS, sent_at=sent, score=nps, answered_at=answered)
            return
    history.survey(case, SurveyKind.CSAT, sent_at=sent)


def seed_insights_demo(session: Session, workspace_id: str, *, now: datetime) -> int:
    """The demo workspace's past 90 days, its facts, and surveys on from now on (not for seeded cases)."""
    from sprawa.auth.schemas import Principal
    from sprawa.insights.actions.facts import refresh_facts
    from sprawa.insights.actions.surveys import do_update_survey_settings
    from sprawa.insights.tasks import schedule_sweep

    written = seed_demo_history(session, workspace_id, now=now)
    # Cases resolved while seeding (the sample conversations) are not surveyed: only what happens next.
    do_update_survey_settings(session, Principal.system(workspace_id), {"enabled_at": utcnow().isoformat()})
    refresh_facts(session, workspace_id, full=True)
    schedule_sweep(session)
    return written
