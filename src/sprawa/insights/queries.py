"""Reads of insights: the dashboard's numbers for a period, each with the cases behind it.

Every number is computed from ``case_metrics`` (one indexed range read per period), survey rows and the
current open cases, then aggregated here, so the drill-down of a number is exactly the set of cases it
counted. Definitions: ``docs/metrics.md`` (and ``DEFINITIONS`` below, shown as tooltips).
"""

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from sprawa.auth.models import User
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseStatus
from sprawa.channels.models import Channel
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from sprawa.insights.actions.facts import REPEAT_WINDOW, local_midnight
from sprawa.insights.models import CaseMetrics, SurveyKind, SurveyRequest, SurveyResponse
from sprawa.insights.schemas import (
    DEFAULT_PERIOD_DAYS,
    DashboardOut,
    Filters,
    MetricOut,
    Period,
    SeriesOut,
    TableOut,
)
from sprawa.platform.errors import Forbidden
from sprawa.workspaces.models import Team, Workspace

ORDER_AFTER_CHAT = timedelta(hours=24)
OPEN_STATES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL)
AGE_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("< 1 h", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(hours=24)),
    ("1–3 dni", timedelta(days=3)),
    ("3–7 dni", timedelta(days=7)),
    ("> 7 dni", None),
]

#: key -> (Polish label, Polish definition shown as the tooltip; docs/metrics.md says the same).
DEFINITIONS: dict[str, tuple[str, str]] = {
    "cases": ("Nowe sprawy", "Sprawy otwarte w okresie (bez spraw scalonych z inną sprawą)."),
    "frt": (
        "Czas pierwszej odpowiedzi (mediana)",
        "Od pierwszej wiadomości klienta do pierwszej odpowiedzi konsultanta lub AI; autoodpowiedzi się "
        "nie liczą. Mediana spraw z okresu, które dostały odpowiedź.",
    ),
    "frt_business": (
        "Czas pierwszej odpowiedzi w godzinach pracy",
        "Jak wyżej, ale liczone tylko w godzinach otwarcia sklepu (polityka godzin pracy, bez świąt).",
    ),
    "frt_p90": ("Czas pierwszej odpowiedzi (90. percentyl)", "90% spraw dostało odpowiedź szybciej."),
    "resolution": (
        "Czas rozwiązania (mediana)",
        "Od pierwszej wiadomości do ostatniego rozwiązania sprawy, dla spraw z okresu, które są teraz "
        "rozwiązane lub zamknięte.",
    ),
    "resolution_business": (
        "Czas rozwiązania w godzinach pracy",
        "Jak wyżej, liczone tylko w godzinach otwarcia sklepu.",
    ),
    "fcr": (
        "Rozwiązane przy pierwszym kontakcie (FCR)",
        "Sprawy rozwiązane po dokładnie jednej odpowiedzi (konsultanta lub AI), bez ponownego otwarcia i "
        "bez kolejnego kontaktu klienta w tej samej sprawie przez 7 dni. Liczone ze spraw już ocenionych: "
        "7 dni po rozwiązaniu albo 7 dni od otwarcia sprawy, która nie jest rozwiązana.",
    ),
    "ai_resolution": (
        "Rozwiązane przez AI",
        "Sprawy rozwiązane bez żadnej wiadomości człowieka i bez ponownego kontaktu w tej sprawie przez "
        "7 dni — nie „obsłużone” ani „zatrzymane”. Mianownik jak przy FCR: wszystkie ocenione sprawy.",
    ),
    "escalation": (
        "Eskalacje AI",
        "Sprawy, w których AI przekazała rozmowę człowiekowi, wśród spraw, którymi AI się zajęła.",
    ),
    "reopen": ("Ponownie otwarte", "Sprawy otwarte ponownie po rozwiązaniu, wśród spraw rozwiązanych."),
    "sla_first_response": (
        "Przekroczony termin pierwszej odpowiedzi",
        "Sprawy, które dostały pierwszą odpowiedź po terminie SLA albo nadal na nią czekają po terminie.",
    ),
    "sla_resolution": (
        "Przekroczony termin rozwiązania",
        "Sprawy rozwiązane po terminie SLA albo nierozwiązane, choć termin minął.",
    ),
    "csat": (
        "Zadowolenie (CSAT)",
        "Odsetek ocen 4–5 wśród odpowiedzi na ankietę po rozwiązaniu (skala 1–5) otrzymanych w okresie.",
    ),
    "csat_response_rate": (
        "Odsetek odpowiedzi na ankietę",
        "Ankiety CSAT wysłane w okresie, na które klient odpowiedział.",
    ),
    "nps": (
        "NPS",
        "Odsetek promotorów (9–10) minus odsetek krytyków (0–6) wśród odpowiedzi NPS z okresu; "
        "od −100 do 100.",
    ),
    "backlog": ("Sprawy otwarte teraz", "Sprawy nowe, otwarte i oczekujące w tej chwili, z ich wiekiem."),
    "orders_after_chat": (
        "Zamówienie w ciągu 24 h po rozmowie",
        "Sprawy, po których pierwszej odpowiedzi klient złożył zamówienie w ciągu 24 godzin (dane z "
        "połączonego sklepu). To współwystępowanie, nie dowód przyczyny.",
    ),
    "basket_after_chat": (
        "Średni koszyk po rozmowie",
        "Średnia wartość zamówień złożonych w ciągu 24 h po odpowiedzi, w porównaniu ze średnią wszystkich "
        "zamówień z okresu.",
    ),
}

INTENT_LABELS = {
    "order_status": "Status zamówienia",
    "return": "Zwrot",
    "complaint": "Reklamacja",
    "invoice": "Faktura",
    "payment": "Płatność",
    "address_change": "Zmiana adresu",
    "cancel": "Anulowanie",
    "product": "Pytanie o produkt",
    "change_order": "Zmiana zamówienia",
    "return_request": "Prośba o zwrot",
    "other": "Inne",
}

REASON_LABELS = {
    "human_request": "Prośba o człowieka",
    "frustration": "Frustracja klienta",
    "complaint": "Reklamacja",
    "legal": "Kwestia prawna",
    "health_safety": "Zdrowie i bezpieczeństwo",
    "data_protection": "Dane osobowe",
    "vip_customer": "Klient VIP",
    "repeat_contact": "Ponowny kontakt",
    "low_confidence": "Niska pewność AI",
    "failed_action": "Nieudana akcja",
    "approval_required": "Wymaga zgody",
    "ai_turn_limit": "Limit tur AI",
}


# ------------------------------------------------------------------------------------------ access


def check_insights_reader(principal: Principal) -> None:
    """KPIs cover every agent's work: owners and admins (the shop's CX leads) read them."""
    if not principal.is_admin:
        raise Forbidden("only owners and admins see the insights", code="admin_only")


def workspace_zone(session: Session, principal: Principal) -> ZoneInfo:
    tz = session.scalar(select(Workspace.timezone).where(Workspace.id == principal.workspace_id))
    return ZoneInfo(tz or "Europe/Warsaw")


def default_period(zone: ZoneInfo, today: date | None = None) -> Period:
    today = today or utcnow().astimezone(zone).date()
    return Period(start=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end=today)


# ------------------------------------------------------------------------------------------ numbers


@dataclass
class Ratio:
    num: list[str]
    den: list[str]

    @property
    def value(self) -> float | None:
        return len(self.num) / len(self.den) if self.den else None


@dataclass
class Durations:
    values: list[tuple[str, float]]

    @property
    def ids(self) -> list[str]:
        return [i for i, _ in self.values]

    @property
    def median(self) -> float | None:
        return statistics.median(v for _, v in self.values) if self.values else None

    @property
    def p90(self) -> float | None:
        """Nearest rank: the smallest value with at least 90 % of the values at or below it."""
        if not self.values:
            return None
        ordered = sorted(v for _, v in self.values)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class Numbers:
    """Every number of one period, each keeping the case ids it counted."""

    cases: list[str]
    frt: Durations
    frt_business: Durations
    resolution: Durations
    resolution_business: Durations
    fcr: Ratio
    ai_resolution: Ratio
    pending: list[str]
    escalation: Ratio
    escalation_reasons: dict[str, list[str]]
    reopen: Ratio
    sla_first_response: Ratio
    sla_resolution: Ratio
    csat: Ratio
    csat_scores: list[int]
    csat_response_rate: Ratio
    nps: float | None
    nps_counts: dict[str, int]
    nps_cases: list[str]
    orders_after_chat: Ratio
    revenue: dict[str, Any] = field(default_factory=dict)


FACT_COLUMNS = (
    CaseMetrics.case_id,
    CaseMetrics.customer_id,
    CaseMetrics.channel_id,
    CaseMetrics.team_id,
    CaseMetrics.agent_id,
    CaseMetrics.intent,
    CaseMetrics.created_at,
    CaseMetrics.created_hour,
    CaseMetrics.first_response_at,
    CaseMetrics.frt_seconds,
    CaseMetrics.frt_business_seconds,
    CaseMetrics.first_resolved_at,
    CaseMetrics.resolved_at,
    CaseMetrics.resolution_seconds,
    CaseMetrics.resolution_business_seconds,
    CaseMetrics.replies_before_resolution,
    CaseMetrics.agent_messages,
    CaseMetrics.ai_messages,
    CaseMetrics.reopen_count,
    CaseMetrics.came_back,
    CaseMetrics.repeat_case_id,
    CaseMetrics.ai_handled,
    CaseMetrics.escalation_reasons,
    CaseMetrics.first_response_due_at,
    CaseMetrics.resolution_due_at,
)


def period_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return local_midnight(period.start, zone), local_midnight(period.end + timedelta(days=1), zone)


def _fact_filters(workspace_id: str, filters: Filters) -> list[Any]:
    where: list[Any] = [CaseMetrics.workspace_id == workspace_id]
    for column, value in (
        (CaseMetrics.channel_id, filters.channel_id),
        (CaseMetrics.team_id, filters.team_id),
        (CaseMetrics.agent_id, filters.agent_id),
        (CaseMetrics.intent, filters.intent),
    ):
        if value:
            where.append(column == value)
    return where


@dataclass(slots=True)
class Fact:
    """One case's facts with the period-independent and the read-time judgements worked out once."""

    case_id: str
    customer_id: str
    channel_id: str | None
    team_id: str | None
    agent_id: str | None
    intent: str | None
    created_at: datetime
    created_hour: int
    first_response_at: datetime | None
    frt_seconds: float | None
    frt_business_seconds: float | None
    first_resolved_at: datetime | None
    resolution_seconds: float | None
    resolution_business_seconds: float | None
    reopen_count: int
    ai_handled: bool
    escalation_reasons: list[str]
    judged: bool
    fcr: bool
    ai_resolved: bool
    first_response_due: bool
    first_response_late: bool
    resolution_due: bool
    resolution_late: bool


def load_facts(
    session: Session, workspace_id: str, start: datetime, end: datetime, filters: Filters, now: datetime
) -> list[Fact]:
    """The fact rows of the cases opened in [start, end), narrowed by the filters (one index range)."""
    rows = session.execute(
        select(*FACT_COLUMNS)
        .where(*_fact_filters(workspace_id, filters), CaseMetrics.created_at >= start)
        .where(CaseMetrics.created_at < end)
        .order_by(CaseMetrics.created_at)
    )
    return [
        Fact(
            case_id=f.case_id,
            customer_id=f.customer_id,
            channel_id=f.channel_id,
            team_id=f.team_id,
            agent_id=f.agent_id,
            intent=f.intent,
            created_at=f.created_at,
            created_hour=f.created_hour,
            first_response_at=f.first_response_at,
            frt_seconds=f.frt_seconds,
            frt_business_seconds=f.frt_business_seconds,
            first_resolved_at=f.first_resolved_at,
            resolution_seconds=f.resolution_seconds,
            resolution_business_seconds=f.resolution_business_seconds,
            reopen_count=f.reopen_count,
            ai_handled=f.ai_handled,
            escalation_reasons=list(f.escalation_reasons or []),
            judged=is_judged(f, now),
            fcr=is_fcr(f),
            ai_resolved=is_ai_resolved(f),
            first_response_due=f.first_response_due_at is not None,
            first_response_late=_breached(f.first_response_at, f.first_response_due_at, now),
            resolution_due=f.resolution_due_at is not None,
            resolution_late=_breached(f.first_resolved_at, f.resolution_due_at, now),
        )
        for f in rows
    ]


def is_fcr(f: Any) -> bool:
    return (
        f.first_resolved_at is not None
        and f.replies_before_resolution == 1
        and f.reopen_count == 0
        and not f.came_back
        and f.repeat_case_id is None
    )


def is_ai_resolved(f: Any) -> bool:
    return (
        f.first_resolved_at is not None
        and f.agent_messages == 0
        and f.ai_messages > 0
        and f.reopen_count == 0
        and not f.came_back
        and f.repeat_case_id is None
    )


def is_judged(f: Any, now: datetime) -> bool:
    """The 7-day window after the first resolution (or after opening, when unresolved) is over."""
    since = f.first_resolved_at if f.first_resolved_at is not None else f.created_at
    return since + REPEAT_WINDOW <= now


def _breached(done: datetime | None, due: datetime | None, now: datetime) -> bool:
    return due is not None and (done > due if done is not None else now > due)


def compute_numbers(facts: Sequence[Fact], surveys: "SurveyRows", revenue: dict[str, Any]) -> Numbers:
    """Every headline number from the period's facts and survey rows (pure: easy to check by hand)."""
    judged = [f.case_id for f in facts if f.judged]
    resolved_once = [f for f in facts if f.first_resolved_at is not None]
    handled = [f for f in facts if f.ai_handled]
    reasons: dict[str, list[str]] = defaultdict(list)
    for f in handled:
        for reason in f.escalation_reasons:
            reasons[reason].append(f.case_id)
    csat = [r for r in surveys.responses if r.kind == SurveyKind.CSAT]
    nps = [r for r in surveys.responses if r.kind == SurveyKind.NPS]
    promoters = sum(1 for r in nps if r.score >= 9)
    detractors = sum(1 for r in nps if r.score <= 6)
    return Numbers(
        cases=[f.case_id for f in facts],
        frt=Durations([(f.case_id, f.frt_seconds) for f in facts if f.frt_seconds is not None]),
        frt_business=Durations(
            [(f.case_id, f.frt_business_seconds) for f in facts if f.frt_business_seconds is not None]
        ),
        resolution=Durations(
            [(f.case_id, f.resolution_seconds) for f in facts if f.resolution_seconds is not None]
        ),
        resolution_business=Durations(
            [
                (f.case_id, f.resolution_business_seconds)
                for f in facts
                if f.resolution_business_seconds is not None
            ]
        ),
        fcr=Ratio([f.case_id for f in facts if f.judged and f.fcr], judged),
        ai_resolution=Ratio([f.case_id for f in facts if f.judged and f.ai_resolved], judged),
        pending=[f.case_id for f in facts if not f.judged],
        escalation=Ratio([f.case_id for f in handled if f.escalation_reasons], [f.case_id for f in handled]),
        escalation_reasons=dict(sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0]))),
        reopen=Ratio(
            [f.case_id for f in resolved_once if f.reopen_count > 0], [f.case_id for f in resolved_once]
        ),
        sla_first_response=Ratio(
            [f.case_id for f in facts if f.first_response_late],
            [f.case_id for f in facts if f.first_response_due],
        ),
        sla_resolution=Ratio(
            [f.case_id for f in facts if f.resolution_late],
            [f.case_id for f in facts if f.resolution_due],
        ),
        csat=Ratio([r.case_id or "" for r in csat if r.score >= 4], [r.case_id or "" for r in csat]),
        csat_scores=[r.score for r in csat],
        csat_response_rate=Ratio(
            [r.case_id or "" for r in surveys.sent if r.status == "answered"],
            [r.case_id or "" for r in surveys.sent],
        ),
        nps=round(100 * (promoters - detractors) / len(nps), 1) if nps else None,
        nps_counts={
            "promoters": promoters,
            "passives": len(nps) - promoters - detractors,
            "detractors": detractors,
        },
        nps_cases=[r.case_id for r in nps if r.case_id],
        orders_after_chat=Ratio(revenue.get("case_ids", []), revenue.get("den_ids", [])),
        revenue={k: v for k, v in revenue.items() if k not in ("case_ids", "den_ids")},
    )


# ------------------------------------------------------------------------------------------ surveys


@dataclass
class SurveyRows:
    responses: list[Any]
    sent: list[Any]


def load_surveys(
    session: Session, workspace_id: str, start: datetime, end: datetime, filters: Filters
) -> SurveyRows:
    """Survey answers received and CSAT surveys sent in [start, end); case filters apply through the case."""
    narrowed = any(filters.query().values())
    responses = select(
        SurveyResponse.kind, SurveyResponse.score, SurveyResponse.case_id, SurveyResponse.created_at
    ).where(
        SurveyResponse.workspace_id == workspace_id,
        SurveyResponse.created_at >= start,
        SurveyResponse.created_at < end,
    )
    sent = select(SurveyRequest.case_id, SurveyRequest.status).where(
        SurveyRequest.workspace_id == workspace_id,
        SurveyRequest.kind == SurveyKind.CSAT,
        SurveyRequest.sent_at >= start,
        SurveyRequest.sent_at < end,
    )
    if narrowed:
        where = _fact_filters(workspace_id, filters)
        responses = responses.join(CaseMetrics, CaseMetrics.case_id == SurveyResponse.case_id).where(*where)
        sent = sent.join(CaseMetrics, CaseMetrics.case_id == SurveyRequest.case_id).where(*where)
    return SurveyRows(
        responses=list(session.execute(responses.order_by(SurveyResponse.created_at)).all()),
        sent=list(session.execute(sent).all()),
    )


# ------------------------------------------------------------------------------------------ revenue


def load_revenue(
    session: Session, workspace_id: str, facts: Sequence[Any], start: datetime, end: datetime
) -> dict[str, Any]:
    """Orders from the shop cache placed within 24 h after a case's first reply, and the average basket."""
    answered = [f for f in facts if f.first_response_at is not None]
    total_orders = session.execute(
        select(func.count(), func.avg(Order.total)).where(
            Order.workspace_id == workspace_id, Order.placed_at >= start, Order.placed_at < end
        )
    ).one()
    if not total_orders[0] and not answered:
        return {"available": False, "case_ids": [], "den_ids": []}
    by_customer: dict[str, list[Any]] = defaultdict(list)
    customers = sorted({f.customer_id for f in answered})
    for chunk_start in range(0, len(customers), 1000):
        rows = session.execute(
            select(Order.customer_id, Order.placed_at, Order.total).where(
                Order.workspace_id == workspace_id,
                Order.customer_id.in_(customers[chunk_start : chunk_start + 1000]),
                Order.placed_at >= start,
                Order.placed_at < end + ORDER_AFTER_CHAT,
            )
        )
        for row in rows:
            by_customer[row.customer_id].append(row)
    followed: list[str] = []
    baskets: list[Decimal] = []
    for f in answered:
        orders = [
            o
            for o in by_customer.get(f.customer_id, [])
            if f.first_response_at <= o.placed_at <= f.first_response_at + ORDER_AFTER_CHAT
        ]
        if orders:
            followed.append(f.case_id)
            baskets.extend(Decimal(o.total) for o in orders)
    return {
        "available": bool(total_orders[0]),
        "case_ids": followed,
        "den_ids": [f.case_id for f in answered],
        "orders_after_chat": len(baskets),
        "revenue_after_chat": float(sum(baskets)) if baskets else 0.0,
        "basket_after_chat": float(sum(baskets) / len(baskets)) if baskets else None,
        "orders_in_period": int(total_orders[0]),
        "basket_all_orders": float(total_orders[1]) if total_orders[1] is not None else None,
    }


# ------------------------------------------------------------------------------------------ backlog


def backlog(session: Session, principal: Principal, filters: Filters, now: datetime) -> dict[str, Any]:
    """Open cases right now, by status and by age (time since opened)."""
    where = [
        Case.workspace_id == principal.workspace_id,
        Case.status.in_(OPEN_STATES),
        Case.merged_into_id.is_(None),
    ]
    for column, value in (
        (Case.channel_id, filters.channel_id),
        (Case.team_id, filters.team_id),
        (Case.assignee_id, filters.agent_id),
        (Case.intent, filters.intent),
    ):
        if value:
            where.append(column == value)
    rows = session.execute(select(Case.id, Case.status, Case.created_at).where(*where)).all()
    by_status: dict[str, list[str]] = {str(s): [] for s in OPEN_STATES}
    by_age: dict[str, list[str]] = {label: [] for label, _ in AGE_BUCKETS}
    for row in rows:
        by_status[str(row.status)].append(row.id)
        age = now - row.created_at
        label = next(label for label, limit in AGE_BUCKETS if limit is None or age < limit)
        by_age[label].append(row.id)
    oldest = min((r.created_at for r in rows), default=None)
    return {
        "ids": [r.id for r in rows],
        "by_status": by_status,
        "by_age": by_age,
        "oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
    }


# ------------------------------------------------------------------------------------------ breakdowns


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    value: Callable[[Any], str | None]
    filter_field: str | None


DIMENSIONS = [
    Dimension("channel", "Kanał", lambda f: f.channel_id, "channel_id"),
    Dimension("team", "Zespół", lambda f: f.team_id, "team_id"),
    Dimension("agent", "Konsultant", lambda f: f.agent_id, "agent_id"),
    Dimension("intent", "Temat (intencja)", lambda f: f.intent, "intent"),
]


def labels(session: Session, workspace_id: str) -> dict[str, dict[str, str]]:
    """Display names of the workspace's channels, teams and users, keyed by id."""
    return {
        "channel": dict(
            session.execute(
                select(Channel.id, Channel.name).where(Channel.workspace_id == workspace_id)
            ).all()
        ),
        "team": dict(
            session.execute(select(Team.id, Team.name).where(Team.workspace_id == workspace_id)).all()
        ),
        "agent": dict(
            session.execute(select(User.id, User.name).where(User.workspace_id == workspace_id)).all()
        ),
        "intent": dict(INTENT_LABELS),
    }


def breakdown(facts: Sequence[Fact], surveys: SurveyRows, dim: Dimension) -> list[dict[str, Any]]:
    """One row per value of the dimension: volume, times, FCR, AI resolution, reopen, CSAT."""
    groups: dict[str | None, list[Any]] = defaultdict(list)
    for f in facts:
        groups[dim.value(f)].append(f)
    group_of = {f.case_id: dim.value(f) for f in facts}
    csat: dict[str | None, list[int]] = defaultdict(list)
    for r in surveys.responses:
        if r.kind == SurveyKind.CSAT and r.case_id in group_of:
            csat[group_of[r.case_id]].append(r.score)
    rows = []
    for key, members in groups.items():
        n = compute_numbers(members, SurveyRows([], []), {})
        scores = csat.get(key, [])
        rows.append(
            {
                "key": key,
                "cases": len(members),
                "frt": n.frt.median,
                "frt_business": n.frt_business.median,
                "resolution": n.resolution.median,
                "fcr": n.fcr.value,
                "ai_resolution": n.ai_resolution.value,
                "reopen": n.reopen.value,
                "csat": sum(1 for s in scores if s >= 4) / len(scores) if scores else None,
                "csat_responses": len(scores),
            }
        )
    rows.sort(key=lambda r: (-r["cases"], str(r["key"])))
    return rows


BREAKDOWN_COLUMNS = [
    ("cases", "Sprawy"),
    ("frt", "Pierwsza odpowiedź (mediana)"),
    ("frt_business", "… w godzinach pracy"),
    ("resolution", "Rozwiązanie (mediana)"),
    ("fcr", "FCR"),
    ("ai_resolution", "Rozwiązane przez AI"),
    ("reopen", "Ponownie otwarte"),
    ("csat", "CSAT"),
    ("csat_responses", "Odpowiedzi CSAT"),
]


def hourly_volume(facts: Iterable[Any]) -> list[tuple[int, list[str]]]:
    hours: dict[int, list[str]] = {h: [] for h in range(24)}
    for f in facts:
        hours[f.created_hour].append(f.case_id)
    return list(hours.items())


def daily(
    facts: Sequence[Fact], surveys: SurveyRows, period: Period, zone: ZoneInfo
) -> dict[str, list[tuple[date, float | None]]]:
    """Per local day: new cases, median first response, share resolved by AI (judged), CSAT."""
    by_day: dict[date, list[Any]] = defaultdict(list)
    for f in facts:
        by_day[f.created_at.astimezone(zone).date()].append(f)
    csat_by_day: dict[date, list[int]] = defaultdict(list)
    for r in surveys.responses:
        if r.kind == SurveyKind.CSAT:
            csat_by_day[r.created_at.astimezone(zone).date()].append(r.score)
    out: dict[str, list[tuple[date, float | None]]] = {
        "cases": [],
        "frt": [],
        "ai_resolution": [],
        "csat": [],
    }
    for day in period.dates():
        members = by_day.get(day, [])
        n = compute_numbers(members, SurveyRows([], []), {})
        scores = csat_by_day.get(day, [])
        out["cases"].append((day, float(len(members))))
        out["frt"].append((day, n.frt.median))
        out["ai_resolution"].append((day, n.ai_resolution.value))
        out["csat"].append((day, sum(1 for s in scores if s >= 4) / len(scores) if scores else None))
    return out


# ------------------------------------------------------------------------------------------ the report


@dataclass
class Report:
    period: Period
    previous_period: Period
    filters: Filters
    zone: ZoneInfo
    now: datetime
    facts: list[Any]
    previous_facts: list[Any]
    surveys: SurveyRows
    current: Numbers
    previous: Numbers
    backlog: dict[str, Any]
    days: dict[str, list[tuple[date, float | None]]]
    labels: dict[str, dict[str, str]]
    ai_quality: dict[str, Any]


def build_report(
    session: Session,
    principal: Principal,
    period: Period | None,
    filters: Filters,
    *,
    now: datetime | None = None,
    with_previous: bool = True,
) -> Report:
    """Everything the dashboard shows for a period (and the one before it, for the trend)."""
    check_insights_reader(principal)
    now = now or utcnow()
    zone = workspace_zone(session, principal)
    period = period or default_period(zone, now.astimezone(zone).date())
    ws = principal.workspace_id

    def numbers(p: Period) -> tuple[list[Any], SurveyRows, Numbers]:
        start, end = period_bounds(p, zone)
        facts = load_facts(session, ws, start, end, filters, now)
        surveys = load_surveys(session, ws, start, end, filters)
        revenue = load_revenue(session, ws, facts, start, end)
        return facts, surveys, compute_numbers(facts, surveys, revenue)

    facts, surveys, current = numbers(period)
    previous_period = period.previous()
    previous_facts, _, previous = numbers(previous_period) if with_previous else ([], surveys, current)
    start, end = period_bounds(period, zone)
    return Report(
        period=period,
        previous_period=previous_period,
        filters=filters,
        zone=zone,
        now=now,
        facts=facts,
        previous_facts=previous_facts,
        surveys=surveys,
        current=current,
        previous=previous,
        backlog=backlog(session, principal, filters, now),
        days=daily(facts, surveys, period, zone),
        labels=labels(session, ws),
        ai_quality=ai_quality(session, ws, start, end, filters),
    )


def drill_ids(report: Report, metric: str, part: str) -> list[str]:
    """The case ids behind one number of the report (``part``: num | den | a group key)."""
    n = report.current
    ratios = {
        "fcr": n.fcr,
        "ai_resolution": n.ai_resolution,
        "escalation": n.escalation,
        "reopen": n.reopen,
        "sla_first_response": n.sla_first_response,
        "sla_resolution": n.sla_resolution,
        "csat": n.csat,
        "csat_response_rate": n.csat_response_rate,
        "orders_after_chat": n.orders_after_chat,
    }
    durations = {
        "frt": n.frt,
        "frt_p90": n.frt,
        "frt_business": n.frt_business,
        "resolution": n.resolution,
        "resolution_business": n.resolution_business,
    }
    if metric in ratios:
        ratio = ratios[metric]
        return ratio.num if part == "num" else ratio.den
    if metric in durations:
        return durations[metric].ids
    if metric == "cases":
        return n.cases
    if metric == "pending":
        return n.pending
    if metric == "nps":
        return n.nps_cases
    if metric == "escalation_reason":
        return n.escalation_reasons.get(part, [])
    if metric == "backlog":
        return (
            report.backlog["by_status"].get(part)
            or report.backlog["by_age"].get(part)
            or report.backlog["ids"]
        )
    if metric == "hour":
        return dict(hourly_volume(report.facts)).get(int(part), []) if part.isdigit() else []
    if metric == "flags":
        return report.ai_quality.get("flag_cases", {}).get(part, [])
    if metric == "unanswered":
        return next((c["case_ids"] for c in report.ai_quality.get("unanswered", []) if c["key"] == part), [])
    return []


def drill_cases(session: Session, principal: Principal, ids: Sequence[str], limit: int = 500) -> list[Any]:
    """The listed cases of the principal's workspace (newest first), at most ``limit``."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    rows: list[Any] = []
    for start in range(0, len(wanted), 1000):
        rows.extend(
            session.execute(
                select(
                    Case.id,
                    Case.number,
                    Case.subject,
                    Case.status,
                    Case.created_at,
                    Channel.name.label("channel"),
                )
                .outerjoin(Channel, and_(Channel.id == Case.channel_id))
                .where(Case.workspace_id == principal.workspace_id, Case.id.in_(wanted[start : start + 1000]))
            ).all()
        )
    rows.sort(key=lambda r: r.created_at, reverse=True)
    return rows[:limit]


def volume_by(facts: Iterable[Any], value: Callable[[Any], str | None]) -> Counter[str | None]:
    return Counter(value(f) for f in facts)


# ------------------------------------------------------------------------------------------ AI quality

_STOPWORDS = frozenset(
    [
        "a",
        "aby",
        "ale",
        "am",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "bo",
        "byc",
        "chce",
        "chcialabym",
        "chcialbym",
        "co",
        "czy",
        "dla",
        "do",
        "dobry",
        "dzien",
        "dziekuje",
        "for",
        "from",
        "hello",
        "hi",
        "i",
        "ich",
        "im",
        "in",
        "is",
        "it",
        "jak",
        "jaki",
        "jest",
        "juz",
        "ma",
        "mam",
        "me",
        "mi",
        "moge",
        "moj",
        "moja",
        "moje",
        "my",
        "na",
        "nie",
        "o",
        "od",
        "of",
        "on",
        "or",
        "pani",
        "pan",
        "panstwa",
        "po",
        "pozdrawiam",
        "prosze",
        "sie",
        "sa",
        "so",
        "ta",
        "tak",
        "te",
        "tego",
        "the",
        "to",
        "u",
        "w",
        "we",
        "what",
        "when",
        "where",
        "why",
        "witam",
        "with",
        "wy",
        "z",
        "za",
        "ze",
    ]
)
_FOLD = str.maketrans("ąćęłńóśźżäöüß", "acelnoszzaous")
MAX_UNANSWERED = 10


def _words(text: str) -> frozenset[str]:
    folded = "".join(ch if ch.isalnum() else " " for ch in text.lower().translate(_FOLD))
    return frozenset(w for w in folded.split() if len(w) > 2 and w not in _STOPWORDS and not w.isdigit())


def cluster_questions(questions: Sequence[tuple[str, str]], threshold: float = 0.25) -> list[dict[str, Any]]:
    """Group (case id, text) questions by shared content words (Jaccard similarity to a cluster's words).

    Lexical on purpose: it runs in milliseconds on every dashboard load, while embedding each question
    costs ~15 ms (docs/metrics.md). Greedy, in the given order, so the result is deterministic.
    """
    clusters: list[dict[str, Any]] = []
    for case_id, text in questions:
        words = _words(text)
        if not words:
            continue
        best, best_score = None, 0.0
        for cluster in clusters:
            score = len(words & cluster["words"]) / len(words | cluster["words"])
            if score > best_score:
                best, best_score = cluster, score
        if best is not None and best_score >= threshold:
            best["counts"].update(words)
            best["words"] = frozenset(w for w, _ in best["counts"].most_common(8))
            best["case_ids"].append(case_id)
            best["examples"].append(text)
        else:
            clusters.append(
                {"words": words, "counts": Counter(words), "case_ids": [case_id], "examples": [text]}
            )
    clusters.sort(key=lambda c: (-len(c["case_ids"]), c["examples"][0]))
    out = []
    for index, cluster in enumerate(clusters[:MAX_UNANSWERED]):
        top = [w for w, _ in cluster["counts"].most_common(3)]
        out.append(
            {
                "key": str(index + 1),
                "label": ", ".join(top),
                "count": len(cluster["case_ids"]),
                "example": min(cluster["examples"], key=len)[:200],
                "case_ids": list(dict.fromkeys(cluster["case_ids"])),
            }
        )
    return out


def ai_quality(
    session: Session, workspace_id: str, start: datetime, end: datetime, filters: Filters
) -> dict[str, Any]:
    """Agent flags on AI replies by kind, knowledge misses grouped into topics, AI reply counts.

    All for the cases opened in the period (the same cohort as the other numbers).
    """
    from sprawa.ai.models import AIDecision, AIFlag
    from sprawa.cases.models import Message

    cohort = [
        *_fact_filters(workspace_id, filters),
        CaseMetrics.created_at >= start,
        CaseMetrics.created_at < end,
    ]
    flag_rows = session.execute(
        select(AIFlag.kind, AIFlag.case_id)
        .join(CaseMetrics, CaseMetrics.case_id == AIFlag.case_id)
        .where(*cohort)
    ).all()
    flag_cases: dict[str, list[str]] = defaultdict(list)
    for kind, case_id in flag_rows:
        flag_cases[str(kind)].append(case_id)
    ai_replies = (
        session.scalar(select(func.coalesce(func.sum(CaseMetrics.ai_messages), 0)).where(*cohort)) or 0
    )
    decisions = session.execute(
        select(
            AIDecision.case_id,
            AIDecision.passages,
            AIDecision.escalation_reasons,
            AIDecision.message_ids,
        )
        .join(CaseMetrics, CaseMetrics.case_id == AIDecision.case_id)
        .where(*cohort)
        .order_by(AIDecision.created_at)
    ).all()
    misses = [
        d
        for d in decisions
        if d.escalation_reasons and (not d.passages or "low_confidence" in d.escalation_reasons)
    ]
    message_ids = [d.message_ids[0] for d in misses if d.message_ids]
    texts: dict[str, str] = {}
    for chunk_start in range(0, len(message_ids), 1000):
        texts.update(
            session.execute(
                select(Message.id, Message.body_text).where(
                    Message.id.in_(message_ids[chunk_start : chunk_start + 1000])
                )
            ).all()
        )
    questions = [
        (d.case_id, texts[d.message_ids[0]]) for d in misses if d.message_ids and d.message_ids[0] in texts
    ]
    return {
        "ai_replies": int(ai_replies),
        "flags": {kind: len(ids) for kind, ids in sorted(flag_cases.items())},
        "flag_cases": dict(flag_cases),
        "flagged_share": len(flag_rows) / ai_replies if ai_replies else None,
        "knowledge_misses": len(misses),
        "unanswered": cluster_questions(questions),
    }


# ------------------------------------------------------------------------------------------ output


def _metric(key: str, unit: str, value: float | None, previous: float | None, **kw: Any) -> MetricOut:
    return MetricOut(key=key, label=DEFINITIONS[key][0], unit=unit, value=value, previous=previous, **kw)  # type: ignore[arg-type]


def metrics_out(report: Report) -> list[MetricOut]:
    c, p = report.current, report.previous

    def ratio(key: str, cur: Ratio, prev: Ratio) -> MetricOut:
        return _metric(key, "ratio", cur.value, prev.value, numerator=len(cur.num), denominator=len(cur.den))

    def duration(key: str, cur: Durations, prev: Durations, p90: bool = False) -> MetricOut:
        pick = (lambda d: d.p90) if p90 else (lambda d: d.median)
        return _metric(key, "seconds", pick(cur), pick(prev), denominator=len(cur.values))

    revenue = c.revenue
    return [
        _metric("cases", "count", float(len(c.cases)), float(len(p.cases)), denominator=len(c.cases)),
        duration("frt", c.frt, p.frt),
        duration("frt_p90", c.frt, p.frt, p90=True),
        duration("frt_business", c.frt_business, p.frt_business),
        duration("resolution", c.resolution, p.resolution),
        duration("resolution_business", c.resolution_business, p.resolution_business),
        _metric(
            "fcr",
            "ratio",
            c.fcr.value,
            p.fcr.value,
            numerator=len(c.fcr.num),
            denominator=len(c.fcr.den),
            extra={"pending": len(c.pending)},
        ),
        _metric(
            "ai_resolution",
            "ratio",
            c.ai_resolution.value,
            p.ai_resolution.value,
            numerator=len(c.ai_resolution.num),
            denominator=len(c.ai_resolution.den),
            extra={"pending": len(c.pending)},
        ),
        _metric(
            "escalation",
            "ratio",
            c.escalation.value,
            p.escalation.value,
            numerator=len(c.escalation.num),
            denominator=len(c.escalation.den),
            extra={"reasons": {k: len(v) for k, v in c.escalation_reasons.items()}},
        ),
        ratio("reopen", c.reopen, p.reopen),
        ratio("sla_first_response", c.sla_first_response, p.sla_first_response),
        ratio("sla_resolution", c.sla_resolution, p.sla_resolution),
        _metric(
            "csat",
            "ratio",
            c.csat.value,
            p.csat.value,
            numerator=len(c.csat.num),
            denominator=len(c.csat.den),
            extra={"average": statistics.fmean(c.csat_scores) if c.csat_scores else None},
        ),
        ratio("csat_response_rate", c.csat_response_rate, p.csat_response_rate),
        _metric("nps", "score", c.nps, p.nps, denominator=sum(c.nps_counts.values()), extra=c.nps_counts),
        _metric(
            "backlog",
            "count",
            float(len(report.backlog["ids"])),
            None,
            extra={"oldest_age_seconds": report.backlog["oldest_age_seconds"]},
        ),
        _metric(
            "orders_after_chat",
            "ratio",
            c.orders_after_chat.value if revenue.get("available") else None,
            p.orders_after_chat.value if p.revenue.get("available") else None,
            numerator=len(c.orders_after_chat.num),
            denominator=len(c.orders_after_chat.den),
            extra={
                "orders": revenue.get("orders_after_chat", 0),
                "revenue": revenue.get("revenue_after_chat", 0.0),
            },
        ),
        _metric(
            "basket_after_chat",
            "money",
            revenue.get("basket_after_chat"),
            p.revenue.get("basket_after_chat"),
            extra={
                "all_orders": revenue.get("basket_all_orders"),
                "orders_in_period": revenue.get("orders_in_period", 0),
            },
        ),
    ]


def tables_out(report: Report) -> list[TableOut]:
    """Every table of the dashboard (the CSV export offers each of them)."""
    names = report.labels
    tables = []
    for dim in DIMENSIONS:
        rows = breakdown(report.facts, report.surveys, dim)
        for row in rows:
            row["label"] = names[dim.key].get(row["key"] or "", row["key"] or "—") if row["key"] else "—"
        tables.append(
            TableOut(
                key=dim.key,
                title=dim.title,
                columns=["label", *[k for k, _ in BREAKDOWN_COLUMNS]],
                labels=[dim.title, *[label for _, label in BREAKDOWN_COLUMNS]],
                rows=rows,
            )
        )
    n = report.current
    handled = len(n.escalation.den)
    tables.append(
        TableOut(
            key="escalation_reasons",
            title="Powody eskalacji AI",
            columns=["label", "cases", "share"],
            labels=["Powód", "Sprawy", "Udział w sprawach AI"],
            rows=[
                {"key": k, "label": REASON_LABELS.get(k, k), "cases": len(v), "share": len(v) / handled}
                for k, v in n.escalation_reasons.items()
            ],
        )
    )
    tables.append(
        TableOut(
            key="hours",
            title="Nowe sprawy według godziny",
            columns=["label", "cases"],
            labels=["Godzina", "Sprawy"],
            rows=[
                {"key": str(h), "label": f"{h:02d}:00", "cases": len(ids)}
                for h, ids in hourly_volume(report.facts)
            ],
        )
    )
    series = report.days
    tables.append(
        TableOut(
            key="daily",
            title="Dzień po dniu",
            columns=["label", "cases", "frt", "ai_resolution", "csat"],
            labels=["Dzień", "Nowe sprawy", "Pierwsza odpowiedź (mediana)", "Rozwiązane przez AI", "CSAT"],
            rows=[
                {
                    "key": day.isoformat(),
                    "label": day.isoformat(),
                    "cases": series["cases"][i][1],
                    "frt": series["frt"][i][1],
                    "ai_resolution": series["ai_resolution"][i][1],
                    "csat": series["csat"][i][1],
                }
                for i, (day, _) in enumerate(series["cases"])
            ],
        )
    )
    backlog_rows = [
        {"key": k, "label": STATUS_LABELS.get(k, k), "cases": len(v)}
        for k, v in report.backlog["by_status"].items()
    ] + [{"key": k, "label": f"Wiek {k}", "cases": len(v)} for k, v in report.backlog["by_age"].items()]
    tables.append(
        TableOut(
            key="backlog",
            title="Sprawy otwarte teraz",
            columns=["label", "cases"],
            labels=["Grupa", "Sprawy"],
            rows=backlog_rows,
        )
    )
    quality = report.ai_quality
    tables.append(
        TableOut(
            key="flags",
            title="Oznaczenia odpowiedzi AI przez konsultantów",
            columns=["label", "cases"],
            labels=["Rodzaj", "Oznaczenia"],
            rows=[
                {"key": k, "label": FLAG_LABELS.get(k, k), "cases": v} for k, v in quality["flags"].items()
            ],
        )
    )
    tables.append(
        TableOut(
            key="unanswered",
            title="Pytania bez odpowiedzi w wiedzy sklepu",
            columns=["label", "cases", "example"],
            labels=["Temat (słowa)", "Sprawy", "Przykład"],
            rows=[
                {"key": c["key"], "label": c["label"], "cases": c["count"], "example": c["example"]}
                for c in quality["unanswered"]
            ],
        )
    )
    return tables


STATUS_LABELS = {
    "new": "Nowe",
    "open": "Otwarte",
    "pending_customer": "Czekają na klienta",
    "pending_internal": "Czekają na nas (wewnętrznie)",
}
FLAG_LABELS = {"wrong": "Błędna", "incomplete": "Niepełna", "outdated": "Nieaktualna", "tone": "Ton"}


def series_out(report: Report) -> list[SeriesOut]:
    current = report.days
    return [
        SeriesOut(
            key=key,
            title=title,
            unit=unit,
            points=[(d.isoformat(), v) for d, v in current[key]],
        )
        for key, title, unit in (
            ("cases", "Nowe sprawy dziennie", "count"),
            ("frt", "Mediana pierwszej odpowiedzi", "seconds"),
            ("ai_resolution", "Rozwiązane przez AI", "ratio"),
            ("csat", "CSAT", "ratio"),
        )
    ]


NOTES = [
    "Sprawy przypisujemy do okresu według dnia otwarcia (strefa czasowa sklepu); ankiety — według dnia "
    "odpowiedzi.",
    "FCR i „rozwiązane przez AI” oceniamy po 7 dniach od rozwiązania; młodsze sprawy są „w trakcie oceny”.",
]


def dashboard_out(report: Report) -> DashboardOut:
    return DashboardOut(
        period=report.period,
        previous_period=report.previous_period,
        filters=report.filters,
        timezone=str(report.zone),
        computed_at=report.now.isoformat(),
        metrics=metrics_out(report),
        tables=tables_out(report),
        series=series_out(report),
        notes=NOTES,
    )
