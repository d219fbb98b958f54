"""Reads of insights: the dashboard's numbers for a period, each with the cases behind it.

Every number is computed from ``case_metrics`` (one indexed range read per period), survey rows and the
current open cases, then aggregated here, so the drill-down of a number is exactly the set of cases it
counted. Definitions: ``docs/metrics.md`` (and ``DEFINITIONS`` below, shown as tooltips).
"""

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, literal, not_, or_, select, true, tuple_
from sqlalchemy import case as sql_case
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from sprawa.auth.models import Role, User
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseStatus
from sprawa.channels.models import Channel
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from sprawa.insights.actions.facts import REPEAT_WINDOW, local_midnight
from sprawa.insights.models import CaseMetrics, SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus
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
    "unnecessary_escalation": (
        "Zbędne eskalacje AI",
        "Sprawy przekazane przez AI człowiekowi z powodu, który nie wymaga człowieka (niska pewność, "
        "frustracja, ponowny kontakt, limit odpowiedzi, nieudana akcja), które konsultant rozwiązał bez "
        "żadnej akcji w sklepie, a jeśli odpisał, to szkicem AI bez zmian. Wśród rozwiązanych spraw "
        "eskalowanych przez AI.",
    ),
    "draft_use": (
        "Szkice AI wysłane bez zmian",
        "Szkice odpowiedzi AI, po których konsultant odpisał klientowi: wysłane bez zmian (podobieństwo "
        "tekstu ≥ 80 %), poprawione (40–80 %) albo odrzucone (< 40 %).",
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

#: Topics as the NLU names them (``sprawa.ai.nlu.dataset.INTENTS`` and ``unknown``), then the older codes
#: the demo history (``insights.actions.history``) still writes. English in i18n/en/insights.json.
INTENT_LABELS = {
    "order_status": "Status zamówienia",
    "cancel_order": "Anulowanie zamówienia",
    "change_order": "Zmiana zamówienia",
    "return_request": "Prośba o zwrot",
    "complaint": "Reklamacja",
    "refund_status": "Status zwrotu pieniędzy",
    "product_question": "Pytanie o produkt",
    "shipping_info": "Dostawa",
    "payment_issue": "Problem z płatnością",
    "invoice": "Faktura",
    "store_info": "Informacje o sklepie",
    "human_request": "Prośba o człowieka",
    "other": "Inne",
    "unknown": "Nierozpoznany temat",
    "return": "Zwrot",
    "payment": "Płatność",
    "address_change": "Zmiana adresu",
    "cancel": "Anulowanie",
    "product": "Produkt",
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
# Every number is one SQL condition over ``case_metrics`` (``conditions``): the dashboard sums it (one
# indexed range read, aggregated by the database), the drill-down lists the case ids it holds. One
# definition serves both, so a number and its cases can never disagree.

M = CaseMetrics
DURATIONS = {
    "frt": M.frt_seconds,
    "frt_business": M.frt_business_seconds,
    "resolution": M.resolution_seconds,
    "resolution_business": M.resolution_business_seconds,
}
RATIOS = (
    "fcr",
    "ai_resolution",
    "escalation",
    "unnecessary_escalation",
    "reopen",
    "sla_first_response",
    "sla_resolution",
)


#: PostgreSQL sort memory of one dashboard transaction (see ``build_report``).
REPORT_WORK_MEM = "64MB"
#: What ``counts`` sums in one pass: case counts and every ratio's numerator and denominator.
COUNTED = ("cases", "pending", "answered", *RATIOS)


def _late(done: Any, due: Any, now: datetime) -> ColumnElement[bool]:
    return and_(due.is_not(None), or_(and_(done.is_not(None), done > due), and_(done.is_(None), due < now)))


def judged(now: datetime) -> ColumnElement[bool]:
    """The 7-day window after the first resolution (or after opening, when unresolved) is over."""
    cutoff = now - REPEAT_WINDOW
    return or_(
        and_(M.first_resolved_at.is_not(None), M.first_resolved_at <= cutoff),
        and_(M.first_resolved_at.is_(None), M.created_at <= cutoff),
    )


def conditions(now: datetime) -> dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]]:
    """metric -> (numerator, denominator) conditions on a case's facts (docs/metrics.md)."""
    done = judged(now)
    resolved = M.first_resolved_at.is_not(None)
    return {
        "cases": (true(), true()),
        "pending": (not_(done), true()),
        "answered": (M.first_response_at.is_not(None), true()),
        "fcr": (and_(done, M.fcr.is_(True)), done),
        "ai_resolution": (and_(done, M.ai_resolved.is_(True)), done),
        "escalation": (and_(M.ai_handled.is_(True), M.escalated.is_(True)), M.ai_handled.is_(True)),
        "unnecessary_escalation": (
            and_(M.escalated.is_(True), M.unnecessary_escalation.is_(True)),
            and_(M.ai_handled.is_(True), M.escalated.is_(True), resolved),
        ),
        "reopen": (and_(resolved, M.reopen_count > 0), resolved),
        "sla_first_response": (
            _late(M.first_response_at, M.first_response_due_at, now),
            M.first_response_due_at.is_not(None),
        ),
        "sla_resolution": (
            _late(M.first_resolved_at, M.resolution_due_at, now),
            M.resolution_due_at.is_not(None),
        ),
        **{key: (column.is_not(None), true()) for key, column in DURATIONS.items()},
        "frt_p90": (M.frt_seconds.is_not(None), true()),
    }


def period_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return local_midnight(period.start, zone), local_midnight(period.end + timedelta(days=1), zone)


def _fact_filters(workspace_id: str, filters: Filters) -> list[Any]:
    where: list[Any] = [M.workspace_id == workspace_id]
    for column, value in (
        (M.channel_id, filters.channel_id),
        (M.team_id, filters.team_id),
        (M.agent_id, filters.agent_id),
        (M.intent, filters.intent),
    ):
        if value:
            where.append(column == value)
    return where


@dataclass(frozen=True)
class Cohort:
    """The period's cases (opened in [start, end), narrowed by the filters) of one workspace."""

    workspace_id: str
    start: datetime
    end: datetime
    filters: Filters

    @property
    def where(self) -> list[Any]:
        return [
            *_fact_filters(self.workspace_id, self.filters),
            M.created_at >= self.start,
            M.created_at < self.end,
        ]


def _count(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(sql_case((cond, 1), else_=0)), 0)


@dataclass(frozen=True)
class Totalled:
    """Group by ``column`` and also give the grand total (keyed None) in the same pass."""

    column: Any


def _grouping(group: Any) -> tuple[list[Any], list[Any], Callable[[Any], Any], int]:
    """Select columns, GROUP BY items, the key of a result row, and how many leading columns form it.

    ``group`` is None (one row for everything), a column, a :class:`Totalled` column (PostgreSQL only:
    its groups and the total, keyed None), or a list of columns: PostgreSQL ``GROUPING SETS`` then gives
    every column's groups in one pass, keyed ``(index of the column, value)``.
    """
    if group is None:
        return [literal(None)], [], lambda row: None, 1
    if isinstance(group, Totalled):
        column = group.column
        sets = func.grouping_sets(tuple_(column), sql_text("()"))
        return [column, func.grouping(column)], [sets], lambda row: None if row[1] else row[0], 2
    if not isinstance(group, list):
        return [group], [group], lambda row: row[0], 1
    n = len(group)

    def key(row: Any) -> tuple[int, Any]:
        mask = row[n]
        index = next(i for i in range(n) if not mask & (1 << (n - 1 - i)))
        return index, row[index]

    sets = func.grouping_sets(*[tuple_(c) for c in group])
    return [*group, func.grouping(*group)], [sets], key, n + 1


def counts(
    session: Session, cohort: Cohort, now: datetime, group: Any = None, keys: Sequence[str] = COUNTED
) -> dict[Any, dict[str, tuple[int, int]]]:
    """(numerator, denominator) of each of ``keys`` (default: every ratio and the case counts), per
    group (or for None: all). Every key is two sums per row and grouping set: ask for what is shown."""
    if isinstance(group, Totalled) and not _is_postgres(session):
        return {
            **counts(session, cohort, now, group.column, keys),
            **counts(session, cohort, now, None, keys),
        }
    conds = conditions(now)
    columns = [c for key in keys for c in (_count(conds[key][0]), _count(conds[key][1]))]
    head, group_by, key_of, width = _grouping(group)
    stmt = select(*head, *columns).where(*cohort.where)
    if group_by:
        stmt = stmt.group_by(*group_by)
    out: dict[Any, dict[str, tuple[int, int]]] = {}
    for row in session.execute(stmt):
        values = list(row)[width:]
        out[key_of(row)] = {key: (int(values[2 * i]), int(values[2 * i + 1])) for i, key in enumerate(keys)}
    return out


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def medians(
    session: Session, cohort: Cohort, group: Any = None, keys: Sequence[str] = (*DURATIONS, "frt_p90")
) -> dict[Any, dict[str, Any]]:
    """Median of each duration in ``keys`` (``frt_p90``: p90 of the first response), with how many cases
    had one, per group. Every percentile is a sort, so callers ask only for what they show.

    PostgreSQL computes them (percentile_cont = the usual median, percentile_disc(0.9) = nearest rank);
    SQLite has no percentiles, so its values are read and ordered here (its scale is one shop).
    """
    wanted = [k for k in DURATIONS if k in keys or (k == "frt" and "frt_p90" in keys)]
    if not _is_postgres(session):
        if isinstance(group, Totalled):
            return {**medians(session, cohort, group.column, keys), **medians(session, cohort, None, keys)}
        return _medians_here(session, cohort, group, wanted, "frt_p90" in keys)
    head, group_by, key_of, width = _grouping(group)
    p90 = [func.percentile_disc(0.9).within_group(M.frt_seconds)] if "frt_p90" in keys else []
    stmt = select(
        *head,
        *[func.percentile_cont(0.5).within_group(DURATIONS[k]) for k in wanted],
        *[func.count(DURATIONS[k]) for k in wanted],
        *p90,
    ).where(*cohort.where)
    if group_by:
        stmt = stmt.group_by(*group_by)
    out = {}
    n = len(wanted)
    for row in session.execute(stmt):
        values = list(row)[width:]
        out[key_of(row)] = {k: (values[i], int(values[n + i])) for i, k in enumerate(wanted)}
        if p90:
            out[key_of(row)]["frt_p90"] = (values[2 * n], out[key_of(row)]["frt"][1])
    return out


def _medians_here(
    session: Session, cohort: Cohort, group: Any, wanted: list[str], p90: bool
) -> dict[Any, dict[str, Any]]:
    series: dict[Any, dict[str, list[float]]] = defaultdict(lambda: {k: [] for k in wanted})
    key_col = group if group is not None else literal(None)
    for row in session.execute(select(key_col, *[DURATIONS[k] for k in wanted]).where(*cohort.where)):
        for key, value in zip(wanted, list(row)[1:], strict=True):
            if value is not None:
                series[row[0]][key].append(value)
    result: dict[Any, dict[str, Any]] = {}
    for group_key, values in series.items():
        result[group_key] = {k: (statistics.median(v) if v else None, len(v)) for k, v in values.items()}
        if p90:
            frt = sorted(values["frt"])
            result[group_key]["frt_p90"] = (frt[math.ceil(0.9 * len(frt)) - 1] if frt else None, len(frt))
    return result


@dataclass
class Count:
    num: int
    den: int

    @property
    def value(self) -> float | None:
        return self.num / self.den if self.den else None


@dataclass
class Numbers:
    """Every headline number of one period (counts; the cases behind each come from ``drill_ids``)."""

    cases: int
    pending: int
    ratios: dict[str, Count]
    durations: dict[str, tuple[float | None, int]]
    escalation_reasons: dict[str, int]
    csat: Count
    csat_average: float | None
    csat_response_rate: Count
    nps: float | None
    nps_counts: dict[str, int]
    orders_after_chat: Count
    revenue: dict[str, Any] = field(default_factory=dict)

    def duration(self, key: str) -> float | None:
        return self.durations.get(key, (None, 0))[0]


def escalation_reasons(session: Session, cohort: Cohort) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(M.case_id, M.escalation_reasons).where(
            *cohort.where, M.ai_handled.is_(True), M.escalated.is_(True)
        )
    )
    for case_id, listed in rows:
        for reason in listed or []:
            reasons[reason].append(case_id)
    return dict(sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def compute_numbers(
    session: Session,
    cohort: Cohort,
    now: datetime,
    *,
    got: dict[Any, dict[str, tuple[int, int]]] | None = None,
    times: dict[Any, dict[str, Any]] | None = None,
    reasons: bool = True,
) -> Numbers:
    """The headline numbers of one cohort: a handful of aggregate queries, whatever its size.

    ``got``/``times``: the cohort's counts and medians when the caller already has them (keyed None);
    ``reasons`` False leaves the escalation reasons out (the previous period shows none).
    """
    got_all = (got if got is not None else counts(session, cohort, now)).get(None) or {
        k: (0, 0) for k in COUNTED
    }
    times_all = (times if times is not None else medians(session, cohort)).get(None) or {
        k: (None, 0) for k in [*DURATIONS, "frt_p90"]
    }
    surveys = survey_numbers(session, cohort)
    revenue = load_revenue(session, cohort, answered=got_all["answered"][0])
    return Numbers(
        cases=got_all["cases"][0],
        pending=got_all["pending"][0],
        ratios={k: Count(*got_all[k]) for k in RATIOS},
        durations=times_all,
        escalation_reasons={k: len(v) for k, v in escalation_reasons(session, cohort).items()}
        if reasons
        else {},
        csat=surveys["csat"],
        csat_average=surveys["csat_average"],
        csat_response_rate=surveys["response_rate"],
        nps=surveys["nps"],
        nps_counts=surveys["nps_counts"],
        orders_after_chat=Count(len(revenue.pop("case_ids")), revenue.pop("answered")),
        revenue=revenue,
    )


# ------------------------------------------------------------------------------------------ surveys


def _responses(cohort: Cohort, kind: SurveyKind) -> Select[Any]:
    """Answers of ``kind`` given in the period; with filters, only those about cases the filters keep."""
    stmt = select(SurveyResponse.case_id, SurveyResponse.score, SurveyResponse.created_at).where(
        SurveyResponse.workspace_id == cohort.workspace_id,
        SurveyResponse.kind == kind,
        SurveyResponse.created_at >= cohort.start,
        SurveyResponse.created_at < cohort.end,
    )
    if cohort.filters.query():
        stmt = stmt.join(M, M.case_id == SurveyResponse.case_id).where(
            *_fact_filters(cohort.workspace_id, cohort.filters)
        )
    return stmt


def _sent(cohort: Cohort) -> Select[Any]:
    stmt = select(SurveyRequest.case_id, SurveyRequest.status).where(
        SurveyRequest.workspace_id == cohort.workspace_id,
        SurveyRequest.kind == SurveyKind.CSAT,
        SurveyRequest.sent_at >= cohort.start,
        SurveyRequest.sent_at < cohort.end,
    )
    if cohort.filters.query():
        stmt = stmt.join(M, M.case_id == SurveyRequest.case_id).where(
            *_fact_filters(cohort.workspace_id, cohort.filters)
        )
    return stmt


def survey_numbers(session: Session, cohort: Cohort) -> dict[str, Any]:
    csat = _responses(cohort, SurveyKind.CSAT).subquery()
    n, good, average = session.execute(
        select(func.count(), _count(csat.c.score >= 4), func.avg(csat.c.score)).select_from(csat)
    ).one()
    sent = _sent(cohort).subquery()
    sent_n, answered = session.execute(
        select(func.count(), _count(sent.c.status == SurveyStatus.ANSWERED)).select_from(sent)
    ).one()
    nps = _responses(cohort, SurveyKind.NPS).subquery()
    total, promoters, detractors = session.execute(
        select(func.count(), _count(nps.c.score >= 9), _count(nps.c.score <= 6)).select_from(nps)
    ).one()
    return {
        "csat": Count(int(good), int(n)),
        "csat_average": float(average) if average is not None else None,
        "response_rate": Count(int(answered), int(sent_n)),
        "nps": round(100 * (promoters - detractors) / total, 1) if total else None,
        "nps_counts": {
            "promoters": int(promoters),
            "passives": int(total - promoters - detractors),
            "detractors": int(detractors),
        },
    }


# ------------------------------------------------------------------------------------------ revenue


def _plus_hours(session: Session, column: Any, hours: int) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return column + literal(timedelta(hours=hours))
    # SQLite keeps UTC timestamps as ISO text; datetime() gives the same layout (without the fraction).
    return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{hours} hours")


def load_revenue(session: Session, cohort: Cohort, answered: int | None = None) -> dict[str, Any]:
    """Orders from the shop cache placed within 24 h after a case's first reply, and the average basket
    (``answered``: the cohort's cases with a reply, when the caller has counted them already)."""
    if answered is None:
        answered = (
            session.scalar(select(func.count()).where(*cohort.where, M.first_response_at.is_not(None))) or 0
        )
    orders_n, orders_avg = session.execute(
        select(func.count(), func.avg(Order.total)).where(
            Order.workspace_id == cohort.workspace_id,
            Order.placed_at >= cohort.start,
            Order.placed_at < cohort.end,
        )
    ).one()
    rows = session.execute(
        select(M.case_id, Order.total)
        .join(Order, Order.customer_id == M.customer_id)
        .where(
            *cohort.where,
            Order.workspace_id == cohort.workspace_id,
            M.first_response_at.is_not(None),
            Order.placed_at >= M.first_response_at,
            Order.placed_at <= _plus_hours(session, M.first_response_at, 24),
        )
    ).all()
    baskets = [Decimal(total) for _, total in rows]
    return {
        "available": bool(orders_n),
        "answered": int(answered),
        "case_ids": list(dict.fromkeys(case_id for case_id, _ in rows)),
        "orders_after_chat": len(baskets),
        "revenue_after_chat": float(sum(baskets)) if baskets else 0.0,
        "basket_after_chat": float(sum(baskets) / len(baskets)) if baskets else None,
        "orders_in_period": int(orders_n),
        "basket_all_orders": float(orders_avg) if orders_avg is not None else None,
    }


# ------------------------------------------------------------------------------------------ backlog


def _backlog_where(principal: Principal, filters: Filters) -> list[Any]:
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
    return where


def _age_conditions(now: datetime) -> dict[str, ColumnElement[bool]]:
    out: dict[str, ColumnElement[bool]] = {}
    newer_than = None
    for label, limit in AGE_BUCKETS:
        older = Case.created_at <= now - newer_than if newer_than is not None else true()
        younger = Case.created_at > now - limit if limit is not None else true()
        out[label] = and_(older, younger)
        newer_than = limit
    return out


def backlog(session: Session, principal: Principal, filters: Filters, now: datetime) -> dict[str, Any]:
    """Open cases right now, by status and by age (time since opened), counted by the database."""
    where = _backlog_where(principal, filters)
    by_status = dict.fromkeys((str(s) for s in OPEN_STATES), 0)
    for status, n in session.execute(select(Case.status, func.count()).where(*where).group_by(Case.status)):
        by_status[str(status)] = int(n)
    ages = _age_conditions(now)
    row = session.execute(
        select(func.min(Case.created_at), *[_count(c) for c in ages.values()]).where(*where)
    ).one()
    oldest = row[0]
    if isinstance(oldest, str):  # an aggregate skips the column type on SQLite
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_age": {label: int(n) for label, n in zip(ages, row[1:], strict=True)},
        "oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
    }


def backlog_ids(
    session: Session, principal: Principal, filters: Filters, now: datetime, part: str
) -> list[str]:
    where = _backlog_where(principal, filters)
    ages = _age_conditions(now)
    if part in ages:
        where.append(ages[part])
    elif part in {str(s) for s in OPEN_STATES}:
        where.append(Case.status == part)
    return list(session.scalars(select(Case.id).where(*where).order_by(Case.created_at.desc())))


# ------------------------------------------------------------------------------------------ breakdowns


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    column: Any
    filter_field: str


DIMENSIONS = [
    Dimension("channel", "Kanał", M.channel_id, "channel_id"),
    Dimension("team", "Zespół", M.team_id, "team_id"),
    Dimension("agent", "Konsultant", M.agent_id, "agent_id"),
    Dimension("intent", "Temat (intencja)", M.intent, "intent"),
]


def labels(session: Session, workspace_id: str) -> dict[str, dict[str, str]]:
    """Display names of the workspace's channels, teams and users, keyed by id."""
    channels = select(Channel.id, Channel.name).where(Channel.workspace_id == workspace_id)
    teams = select(Team.id, Team.name).where(Team.workspace_id == workspace_id)
    users = select(User.id, User.name).where(User.workspace_id == workspace_id)
    return {
        "channel": {i: n for i, n in session.execute(channels)},
        "team": {i: n for i, n in session.execute(teams)},
        "agent": {i: n for i, n in session.execute(users)},
        "intent": dict(INTENT_LABELS),
    }


def breakdowns(session: Session, cohort: Cohort, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Per channel, team, agent and intent: volume, times, FCR, AI resolution, reopen, CSAT.

    PostgreSQL answers every dimension in one pass (GROUPING SETS); SQLite one dimension at a time.
    """
    columns = [d.column for d in DIMENSIONS]
    if session.get_bind().dialect.name == "postgresql":
        got, times, scores = _breakdown_parts(session, cohort, now, columns)
    else:
        got, times, scores = {}, {}, {}
        for i, column in enumerate(columns):
            parts = _breakdown_parts(session, cohort, now, column)
            for target, part in zip((got, times, scores), parts, strict=True):
                target.update({(i, key): value for key, value in part.items()})
    tables: dict[str, list[dict[str, Any]]] = {d.key: [] for d in DIMENSIONS}
    for (index, key), c in got.items():
        t = times.get((index, key), {})
        good, n = scores.get((index, key), (0, 0))
        tables[DIMENSIONS[index].key].append(
            {
                "key": key,
                "cases": c["cases"][0],
                "frt": t.get("frt", (None, 0))[0],
                "frt_business": t.get("frt_business", (None, 0))[0],
                "resolution": t.get("resolution", (None, 0))[0],
                "fcr": Count(*c["fcr"]).value,
                "ai_resolution": Count(*c["ai_resolution"]).value,
                "reopen": Count(*c["reopen"]).value,
                "csat": good / n if n else None,
                "csat_responses": n,
            }
        )
    for rows in tables.values():
        rows.sort(key=lambda r: (-r["cases"], str(r["key"])))
    return tables


def _breakdown_parts(session: Session, cohort: Cohort, now: datetime, group: Any) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    csat = _responses(cohort, SurveyKind.CSAT).subquery()
    head, group_by, key_of, width = _grouping(group)
    stmt = (
        select(*head, func.count(), _count(csat.c.score >= 4))
        .select_from(csat)
        .join(M, M.case_id == csat.c.case_id)
        .group_by(*group_by)
    )
    scores = {key_of(row): (int(row[width + 1]), int(row[width])) for row in session.execute(stmt)}
    return (
        counts(session, cohort, now, group, ("cases", "fcr", "ai_resolution", "reopen")),
        medians(session, cohort, group, ("frt", "frt_business", "resolution")),
        scores,
    )


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


def hourly_volume(session: Session, cohort: Cohort) -> list[tuple[int, int]]:
    found = dict(
        session.execute(
            select(M.created_hour, func.count()).where(*cohort.where).group_by(M.created_hour)
        ).all()
    )
    return [(h, int(found.get(h, 0))) for h in range(24)]


def daily(
    session: Session,
    cohort: Cohort,
    period: Period,
    zone: ZoneInfo,
    got: dict[Any, dict[str, tuple[int, int]]],
    times: dict[Any, dict[str, Any]],
) -> dict[str, list[Any]]:
    """Per local day (``got``/``times``: counts and medians keyed by ``created_date``): new cases, median
    first response, share resolved by AI (of judged), CSAT."""
    csat_by_day: dict[date, list[int]] = defaultdict(list)
    for _case, score, created in session.execute(_responses(cohort, SurveyKind.CSAT)):
        csat_by_day[created.astimezone(zone).date()].append(score)
    out: dict[str, list[Any]] = {"cases": [], "frt": [], "ai_resolution": [], "csat": []}
    for day in period.dates():
        key = day.isoformat()
        c = got.get(key)
        scores = csat_by_day.get(day, [])
        out["cases"].append((day, float(c["cases"][0]) if c else 0.0))
        out["frt"].append((day, times.get(key, {}).get("frt", (None, 0))[0]))
        out["ai_resolution"].append((day, Count(*c["ai_resolution"]).value if c else None))
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
    cohort: Cohort
    current: Numbers
    previous: Numbers
    backlog: dict[str, Any]
    labels: dict[str, dict[str, str]]
    ai_quality: dict[str, Any]
    days: dict[str, list[Any]] = field(default_factory=dict)
    previous_days: list[float] = field(default_factory=list)
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hours: list[tuple[int, int]] = field(default_factory=list)


def build_report(
    session: Session,
    principal: Principal,
    period: Period | None,
    filters: Filters,
    *,
    now: datetime | None = None,
    full: bool = True,
) -> Report:
    """The dashboard's numbers for a period; ``full`` adds the previous period, series and tables."""
    check_insights_reader(principal)
    if _is_postgres(session):
        # Medians and GROUPING SETS sort the period's fact rows (tens of MB for a large shop's quarter);
        # with the default 4 MB they spill to disk and the dashboard takes seconds (measured: 1 s for the
        # breakdown medians alone on the 1 M-message bench). For this transaction only.
        session.execute(sql_text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    now = now or utcnow()
    zone = workspace_zone(session, principal)
    period = period or default_period(zone, now.astimezone(zone).date())
    ws = principal.workspace_id
    cohort = Cohort(ws, *period_bounds(period, zone), filters)
    previous_period = period.previous()
    before = Cohort(ws, *period_bounds(previous_period, zone), filters)
    # The full report needs every number per day too: the days and the totals come from the same pass.
    by_day = counts(session, cohort, now, Totalled(M.created_date)) if full else None
    times_by_day = medians(session, cohort, Totalled(M.created_date)) if full else None
    before_by_day = counts(session, before, now, Totalled(M.created_date)) if full else None
    current = compute_numbers(session, cohort, now, got=by_day, times=times_by_day)
    report = Report(
        period=period,
        previous_period=previous_period,
        filters=filters,
        zone=zone,
        now=now,
        cohort=cohort,
        current=current,
        previous=compute_numbers(session, before, now, got=before_by_day, reasons=False) if full else current,
        backlog=backlog(session, principal, filters, now),
        labels=labels(session, ws),
        ai_quality=ai_quality(session, cohort) if full else {},
    )
    if by_day is not None and times_by_day is not None and before_by_day is not None:
        report.days = daily(session, cohort, period, zone, by_day, times_by_day)
        report.previous_days = [
            float(before_by_day.get(d.isoformat(), {}).get("cases", (0, 0))[0])
            for d in previous_period.dates()
        ]
        report.breakdowns = breakdowns(session, cohort, now)
        report.hours = hourly_volume(session, cohort)
    return report


def drill_ids(session: Session, report: Report, metric: str, part: str) -> list[str]:
    """The case ids behind one number of the report (``part``: num | den | a group key)."""
    cohort, now = report.cohort, report.now
    conds = conditions(now)
    if metric in conds:
        cond = conds[metric][1] if part == "den" else conds[metric][0]
        return list(session.scalars(select(M.case_id).where(*cohort.where, cond).order_by(M.created_at)))
    if metric == "hour" and part.isdigit():
        return list(session.scalars(select(M.case_id).where(*cohort.where, M.created_hour == int(part))))
    if metric == "escalation_reason":
        return escalation_reasons(session, cohort).get(part, [])
    if metric in ("csat", "nps"):
        kind = SurveyKind.CSAT if metric == "csat" else SurveyKind.NPS
        rows = session.execute(_responses(cohort, kind)).all()
        keep = (lambda s: s >= 4) if (metric == "csat" and part == "num") else (lambda s: True)
        return [r.case_id for r in rows if r.case_id and keep(r.score)]
    if metric == "csat_response_rate":
        rows = session.execute(_sent(cohort)).all()
        return [r.case_id for r in rows if r.case_id and (part == "den" or r.status == SurveyStatus.ANSWERED)]
    if metric == "orders_after_chat":
        if part == "den":
            return list(
                session.scalars(select(M.case_id).where(*cohort.where, M.first_response_at.is_not(None)))
            )
        return load_revenue(session, cohort)["case_ids"]
    if metric == "backlog":
        principal = Principal(workspace_id=cohort.workspace_id, role=Role.ADMIN)
        return backlog_ids(session, principal, report.filters, now, part)
    if metric == "drafts" and part in DRAFT_PARTS:
        return list(
            session.scalars(select(M.case_id).where(*cohort.where, DRAFT_PARTS[part]).order_by(M.created_at))
        )
    if metric in ("flags", "unanswered"):
        quality = ai_quality(session, cohort)
        if metric == "flags":
            return quality["flag_cases"].get(part, [])
        return next((c["case_ids"] for c in quality["unanswered"] if c["key"] == part), [])
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
                .outerjoin(Channel, Channel.id == Case.channel_id)
                .where(Case.workspace_id == principal.workspace_id, Case.id.in_(wanted[start : start + 1000]))
            ).all()
        )
    rows.sort(key=lambda r: r.created_at, reverse=True)
    return rows[:limit]


# ------------------------------------------------------------------------------------------ AI quality

_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a aby ale am an and are as at be by bo byc chce chcialabym chcialbym co czy dla do dobry dzien "
        "dziekuje for from hello hi i ich im in is it jak jaki jest juz ma mam me mi moge moj moja moje "
        "my na nie o od of on or pani pan panstwa po pozdrawiam prosze sie sa so ta tak te tego the to u "
        "w we what when where why witam with wy z za ze ",
    )
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


def ai_quality(session: Session, cohort: Cohort) -> dict[str, Any]:
    """Agent flags on AI replies by kind, knowledge misses grouped into topics, AI reply counts.

    All for the cases opened in the period (the same cohort as the other numbers).
    """
    from sprawa.ai.models import AIDecision, AIFlag
    from sprawa.cases.models import Message

    where = cohort.where
    flag_rows = session.execute(
        select(AIFlag.kind, AIFlag.case_id)
        .join(CaseMetrics, CaseMetrics.case_id == AIFlag.case_id)
        .where(*where)
    ).all()
    flag_cases: dict[str, list[str]] = defaultdict(list)
    for kind, case_id in flag_rows:
        flag_cases[str(kind)].append(case_id)
    ai_replies, drafts, used, edited = (
        int(v or 0)
        for v in session.execute(
            select(
                func.sum(CaseMetrics.ai_messages),
                func.sum(CaseMetrics.drafts),
                func.sum(CaseMetrics.drafts_used),
                func.sum(CaseMetrics.drafts_edited),
            ).where(*where)
        ).one()
    )
    decisions = session.execute(
        select(
            AIDecision.case_id,
            AIDecision.passages,
            AIDecision.escalation_reasons,
            AIDecision.message_ids,
        )
        .join(CaseMetrics, CaseMetrics.case_id == AIDecision.case_id)
        .where(*where)
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
        "drafts": {"total": drafts, "used": used, "edited": edited, "discarded": drafts - used - edited},
    }


# ------------------------------------------------------------------------------------------ output


def _metric(key: str, unit: str, value: float | None, previous: float | None, **kw: Any) -> MetricOut:
    label = DEFINITIONS[key][0]
    return MetricOut(key=key, label=label, unit=unit, value=value, previous=previous, **kw)  # type: ignore[arg-type]


def metrics_out(report: Report) -> list[MetricOut]:
    c, p = report.current, report.previous

    def ratio(key: str, cur: Count, prev: Count, **extra: Any) -> MetricOut:
        return _metric(
            key, "ratio", cur.value, prev.value, numerator=cur.num, denominator=cur.den, extra=extra
        )

    def duration(key: str) -> MetricOut:
        value, n = c.durations.get(key, (None, 0))
        return _metric(key, "seconds", value, p.duration(key), denominator=n)

    revenue = c.revenue
    return [
        _metric("cases", "count", float(c.cases), float(p.cases), denominator=c.cases),
        *[duration(k) for k in ("frt", "frt_p90", "frt_business", "resolution", "resolution_business")],
        ratio("fcr", c.ratios["fcr"], p.ratios["fcr"], pending=c.pending),
        ratio("ai_resolution", c.ratios["ai_resolution"], p.ratios["ai_resolution"], pending=c.pending),
        ratio("escalation", c.ratios["escalation"], p.ratios["escalation"], reasons=c.escalation_reasons),
        ratio(
            "unnecessary_escalation", c.ratios["unnecessary_escalation"], p.ratios["unnecessary_escalation"]
        ),
        *[ratio(k, c.ratios[k], p.ratios[k]) for k in ("reopen", "sla_first_response", "sla_resolution")],
        ratio("csat", c.csat, p.csat, average=c.csat_average),
        ratio("csat_response_rate", c.csat_response_rate, p.csat_response_rate),
        _metric("nps", "score", c.nps, p.nps, denominator=sum(c.nps_counts.values()), extra=c.nps_counts),
        _metric(
            "backlog",
            "count",
            float(report.backlog["total"]),
            None,
            extra={"oldest_age_seconds": report.backlog["oldest_age_seconds"]},
        ),
        _metric(
            "orders_after_chat",
            "ratio",
            c.orders_after_chat.value if revenue.get("available") else None,
            p.orders_after_chat.value if p.revenue.get("available") else None,
            numerator=c.orders_after_chat.num,
            denominator=c.orders_after_chat.den,
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


STATUS_LABELS = {
    "new": "Nowe",
    "open": "Otwarte",
    "pending_customer": "Czekają na klienta",
    "pending_internal": "Czekają na nas (wewnętrznie)",
}
FLAG_LABELS = {"wrong": "Błędna", "incomplete": "Niepełna", "outdated": "Nieaktualna", "tone": "Ton"}
DRAFT_LABELS = {"used": "Wysłane bez zmian", "edited": "Poprawione", "discarded": "Odrzucone"}
#: Drill-down: the cases with at least one draft of each outcome.
DRAFT_PARTS = {
    "all": M.drafts > 0,
    "used": M.drafts_used > 0,
    "edited": M.drafts_edited > 0,
    "discarded": M.drafts > M.drafts_used + M.drafts_edited,
}


def tables_out(report: Report) -> list[TableOut]:
    """Every table of the dashboard (the CSV export offers each of them)."""
    names = report.labels
    tables = []
    for dim in DIMENSIONS:
        rows = [dict(row) for row in report.breakdowns.get(dim.key, [])]
        for row in rows:
            row["label"] = names[dim.key].get(row["key"], row["key"]) if row["key"] else "—"
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
    handled = n.ratios["escalation"].den
    tables.append(
        TableOut(
            key="escalation_reasons",
            title="Powody eskalacji AI",
            columns=["label", "cases", "share"],
            labels=["Powód", "Sprawy", "Udział w sprawach AI"],
            rows=[
                {
                    "key": k,
                    "label": REASON_LABELS.get(k, k),
                    "cases": v,
                    "share": v / handled if handled else None,
                }
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
            rows=[{"key": str(h), "label": f"{h:02d}:00", "cases": v} for h, v in report.hours],
        )
    )
    days = report.days
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
                    "cases": days["cases"][i][1],
                    "frt": days["frt"][i][1],
                    "ai_resolution": days["ai_resolution"][i][1],
                    "csat": days["csat"][i][1],
                }
                for i, (day, _) in enumerate(days.get("cases", []))
            ],
        )
    )
    backlog_rows = [
        {"key": k, "label": STATUS_LABELS.get(k, k), "cases": v}
        for k, v in report.backlog["by_status"].items()
    ] + [{"key": k, "label": f"Wiek {k}", "cases": v} for k, v in report.backlog["by_age"].items()]
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
                {"key": k, "label": FLAG_LABELS.get(k, k), "cases": v}
                for k, v in quality.get("flags", {}).items()
            ],
        )
    )
    drafts = quality.get("drafts", {})
    tables.append(
        TableOut(
            key="drafts",
            title="Szkice AI, po których konsultant odpisał",
            columns=["label", "drafts", "share"],
            labels=["Co zrobił konsultant", "Szkice", "Udział"],
            rows=[
                {
                    "key": k,
                    "label": label,
                    "drafts": drafts.get(k, 0),
                    "share": drafts.get(k, 0) / drafts["total"] if drafts.get("total") else None,
                }
                for k, label in DRAFT_LABELS.items()
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
                for c in quality.get("unanswered", [])
            ],
        )
    )
    return tables


def series_out(report: Report) -> list[SeriesOut]:
    return [
        SeriesOut(
            key=key, title=title, unit=unit, points=[(d.isoformat(), v) for d, v in report.days.get(key, [])]
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
