"""The insights dashboard (owners and admins): KPIs with trends, server-side SVG charts, drill-down, CSV.

Charts are plain SVG computed here and drawn by Jinja macros (``templates/insights/charts.html``): no
chart library, no script, nothing for the CSP to allow. Every number links to the cases behind it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from sprawa.db import utcnow
from sprawa.deps import RuntimeDep
from sprawa.insights.actions.facts import refresh_facts
from sprawa.insights.api import report_params
from sprawa.insights.queries import (
    DEFINITIONS,
    INTENT_LABELS,
    NOTES,
    REASON_LABELS,
    Report,
    build_report,
    drill_cases,
    drill_ids,
    metrics_out,
    series_out,
    tables_out,
)
from sprawa.insights.schemas import Filters, MetricOut, Period
from sprawa.insights.tasks import SWEEP_SECONDS, schedule_sweep
from sprawa.platform.errors import AppError
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.render import CurrentPageUser, PageUser, render

router = APIRouter(include_in_schema=False)
CASE_URL = "/app/cases/{id}"
#: For these numbers a fall is good news (drawn green); for the rest a rise is.
LOWER_IS_BETTER = frozenset(
    {"frt", "frt_p90", "frt_business", "resolution", "resolution_business", "escalation", "reopen"}
    | {"unnecessary_escalation"}
    | {"sla_first_response", "sla_resolution", "backlog"}
)
DRILL_PART = {"fcr": "num", "ai_resolution": "num", "escalation": "num", "reopen": "num", "csat": "num"}
#: Titles of the drill-downs that are not a headline number (those take their label from DEFINITIONS).
DRILL_TITLES = {
    "hour": "Nowe sprawy o godzinie",
    "escalation_reason": "Powody eskalacji AI",
    "pending": "Sprawy w trakcie oceny",
    "flags": "Oznaczenia odpowiedzi AI",
    "drafts": "Szkice AI, po których konsultant odpisał",
    "unanswered": "Pytania bez odpowiedzi w wiedzy sklepu",
}


def page_reader(runtime: RuntimeDep, user: CurrentPageUser) -> Iterator[Session]:
    """Like the API's ``fresh_reader``: facts brought up to date, then a session that sees them."""
    if user.principal.is_admin:
        with runtime.factory.begin() as session:
            refresh_facts(session, user.principal.workspace_id)
            schedule_sweep(session, delay=SWEEP_SECONDS)
    with runtime.reader() as session, session.begin():
        yield session


PageSession = Annotated[Session, Depends(page_reader)]


def page_params(
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    channel_id: Annotated[str | None, Query(max_length=26)] = None,
    team_id: Annotated[str | None, Query(max_length=26)] = None,
    agent_id: Annotated[str | None, Query(max_length=26)] = None,
    intent: Annotated[str | None, Query(max_length=32)] = None,
) -> tuple[Period | None, Filters] | str:
    """The API's period and filters, or the problem as text for the page to show."""
    try:
        return report_params(start, end, channel_id, team_id, agent_id, intent)
    except AppError as exc:
        return (
            "Nieprawidłowy okres lub filtr: "
            + "; ".join(f"{d.get('field')}: {d.get('problem')}" for d in exc.details or [])
            if exc.details
            else exc.message
        )


Params = Annotated[tuple[Period | None, Filters] | str, Depends(page_params)]


def _forbidden(request: Request, user: PageUser) -> HTMLResponse:
    return render(
        request,
        "insights/forbidden.html",
        {"message": "Statystyki widzą właściciele i administratorzy sklepu."},
        user=user,
        status_code=403,
    )


def _problem(request: Request, user: PageUser, message: str) -> HTMLResponse:
    return render(request, "insights/forbidden.html", {"message": message}, user=user, status_code=422)


@router.get("/app/insights", response_class=HTMLResponse)
def dashboard_page(request: Request, db: PageSession, user: CurrentPageUser, params: Params) -> HTMLResponse:
    if not user.principal.is_admin:
        return _forbidden(request, user)
    if isinstance(params, str):
        return _problem(request, user, params)
    try:
        report = build_report(db, user.principal, params[0], params[1])
    except AppError as exc:
        return render(
            request, "insights/forbidden.html", {"message": exc.message}, user=user, status_code=exc.status
        )
    return render(request, "insights/dashboard.html", dashboard_context(report), user=user)


@router.get("/app/insights/cases", response_class=HTMLResponse)
def drill_page(
    request: Request,
    db: PageSession,
    user: CurrentPageUser,
    params: Params,
    metric: Annotated[str, Query(min_length=1, max_length=40)],
    part: Annotated[str, Query(max_length=40)] = "num",
) -> HTMLResponse:
    if not user.principal.is_admin:
        return _forbidden(request, user)
    if isinstance(params, str):
        return _problem(request, user, params)
    report = build_report(db, user.principal, params[0], params[1], full=False)
    ids = drill_ids(db, report, metric, part)
    rows = drill_cases(db, user.principal, ids)
    query = _query(report.period, report.filters)
    return render(
        request,
        "insights/cases.html",
        {
            "metric": metric,
            "part": part,
            "label": DRILL_TITLES.get(metric) or DEFINITIONS.get(metric, (metric, ""))[0],
            "detail": drill_detail(metric, part),
            "rows": rows,
            "total": len(set(ids)),
            "period": report.period,
            "back": f"/app/insights?{urlencode(query)}",
            "csv": "/api/v1/insights/export/cases.csv?"
            + urlencode({**query, "metric": metric, "part": part}),
            "case_url": CASE_URL,
        },
        user=user,
    )


def drill_detail(metric: str, part: str) -> str:
    """Which group of the number the drill-down shows, in Polish (the template translates it)."""
    if metric == "escalation_reason":
        return REASON_LABELS.get(part, part)
    if metric == "hour" and part.isdigit():
        return f"{int(part):02d}:00"
    return ""


# ------------------------------------------------------------------------------------------ context


def _query(period: Period, filters: Filters) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), **filters.query()}


def dashboard_context(report: Report) -> dict[str, Any]:
    query = _query(report.period, report.filters)

    def drill(metric: str, part: str = "num", **extra: str) -> str:
        return "/app/insights/cases?" + urlencode({**query, **extra, "metric": metric, "part": part})

    def csv(table: str) -> str:
        return f"/api/v1/insights/export/{table}.csv?" + urlencode(query)

    metrics = {m.key: m for m in metrics_out(report)}
    cards = [card(metrics[k], drill(k, DRILL_PART.get(k, "num"))) for k in CARD_ORDER]
    tables = {t.key: t for t in tables_out(report)}
    series = {s.key: s for s in series_out(report)}
    charts = {
        "cases": bar_chart(
            [(p[0], p[1] or 0.0, drill("cases", **_day(p[0]))) for p in series["cases"].points],
            previous=report.previous_days,
            value_text=lambda v: f"{v:.0f}",
        ),
        "frt": line_chart(
            [(d, v / 60 if v is not None else None) for d, v in series["frt"].points], unit="min"
        ),
        "quality": line_chart(
            [(d, v * 100 if v is not None else None) for d, v in series["csat"].points],
            second=[(d, v * 100 if v is not None else None) for d, v in series["ai_resolution"].points],
            unit="%",
            fixed_max=100.0,
        ),
        "hours": bar_chart(
            [
                (row["label"][:2], float(row["cases"]), drill("hour", row["key"]))
                for row in tables["hours"].rows
            ],
            value_text=lambda v: f"{v:.0f}",
            every_label=3,
        ),
        "channels": hbar_chart(
            [
                (r["label"], float(r["cases"]), drill("cases", channel_id=r["key"]) if r["key"] else None)
                for r in tables["channel"].rows
            ]
        ),
        "reasons": hbar_chart(
            [
                (r["label"], float(r["cases"]), drill("escalation_reason", r["key"]))
                for r in tables["escalation_reasons"].rows
            ]
        ),
    }
    return {
        "report": report,
        "period": report.period,
        "previous_period": report.previous_period,
        "filters": report.filters,
        "cards": cards,
        "metrics": metrics,
        "tables": tables,
        "charts": charts,
        "drill": drill,
        "csv": csv,
        "quick": _quick_periods(report),
        "options": _filter_options(report),
        "definitions": DEFINITIONS,
        "quality": report.ai_quality,
        "revenue": report.current.revenue,
        "reason_labels": REASON_LABELS,
        "fmt": fmt_value,
        "notes": NOTES,
    }


CARD_ORDER = [
    "cases",
    "frt",
    "frt_business",
    "resolution",
    "fcr",
    "ai_resolution",
    "escalation",
    "unnecessary_escalation",
    "reopen",
    "sla_first_response",
    "sla_resolution",
    "csat",
    "csat_response_rate",
    "nps",
    "backlog",
]


def _day(day: str) -> dict[str, str]:
    return {"from": day, "to": day}


@dataclass
class Card:
    key: str
    label: str
    tooltip: str
    value: str
    detail: str
    previous: str
    trend: str  # up | down | flat | none
    good: bool | None
    href: str


def card(metric: MetricOut, href: str) -> Card:
    trend, good = "none", None
    if metric.value is not None and metric.previous is not None:
        if abs(metric.value - metric.previous) < 1e-9:
            trend = "flat"
        else:
            trend = "up" if metric.value > metric.previous else "down"
            rising_good = metric.key not in LOWER_IS_BETTER
            good = (trend == "up") == rising_good
    detail = ""
    if metric.unit == "ratio" and metric.denominator is not None:
        detail = f"{metric.numerator} / {metric.denominator}"
    elif metric.key == "nps" and metric.denominator:
        counts = [metric.extra.get(k, 0) for k in ("promoters", "passives", "detractors")]
        detail = " / ".join(str(c) for c in counts)
    elif metric.unit == "seconds" and metric.denominator is not None:
        detail = f"n = {metric.denominator}"
    return Card(
        key=metric.key,
        label=metric.label,
        tooltip=DEFINITIONS[metric.key][1],
        value=fmt_value(metric.value, metric.unit),
        detail=detail,
        previous=fmt_value(metric.previous, metric.unit),
        trend=trend,
        good=good,
        href=href,
    )


def fmt_value(value: float | None, unit: str) -> str:
    """Polish number formats: "63,5 %", "1 h 5 min", "12 min", "45 s", "1 234"."""
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:.1f} %".replace(".", ",")
    if unit == "seconds":
        return fmt_duration(value)
    if unit == "money":
        return f"{value:,.2f} zł".replace(",", " ").replace(".", ",")
    if unit == "score":
        return f"{value:+.1f}".replace(".", ",") if value else "0"
    return f"{value:,.0f}".replace(",", " ")


def fmt_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _quick_periods(report: Report) -> list[tuple[str, str]]:
    today = utcnow().astimezone(report.zone).date()
    out = []
    for days, label in ((7, "7 dni"), (30, "30 dni"), (90, "90 dni")):
        period = Period(start=today - timedelta(days=days - 1), end=today)
        out.append((label, "/app/insights?" + urlencode(_query(period, report.filters))))
    return out


def _filter_options(report: Report) -> dict[str, list[tuple[str, str]]]:
    names = report.labels
    return {
        "channel_id": sorted(names["channel"].items(), key=lambda kv: kv[1]),
        "team_id": sorted(names["team"].items(), key=lambda kv: kv[1]),
        "agent_id": sorted(names["agent"].items(), key=lambda kv: kv[1]),
        "intent": sorted(INTENT_LABELS.items(), key=lambda kv: kv[1]),
    }


# ------------------------------------------------------------------------------------------ SVG charts

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 44, 24, 10


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    value: str
    href: str | None
    show_label: bool


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _ticks(top: float, unit: str = "") -> list[tuple[float, str]]:
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    return [
        (PAD_TOP + plot - plot * f, f"{top * f:.0f}{(' ' + unit) if unit else ''}")
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]


def bar_chart(
    points: list[tuple[str, float, str | None]],
    *,
    previous: list[float] | None = None,
    value_text: Any = str,
    every_label: int | None = None,
) -> dict[str, Any]:
    """Vertical bars (one per point) with an optional line of the previous period's values."""
    top = _nice_max(max([v for _, v, _ in points] + (previous or []) + [0.0]))
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(points), 1)
    every = every_label or max(1, len(points) // 8)
    bars = []
    for i, (label, value, href) in enumerate(points):
        h = plot_h * value / top
        bars.append(
            Bar(
                x=PAD_LEFT + i * step + step * 0.1,
                y=PAD_TOP + plot_h - h,
                w=step * 0.8,
                h=h,
                label=label[5:] if len(label) == 10 else label,
                value=f"{label}: {value_text(value)}",
                href=href,
                show_label=i % every == 0,
            )
        )
    line = ""
    if previous:
        coords = [
            f"{PAD_LEFT + i * step + step / 2:.1f},{PAD_TOP + plot_h - plot_h * v / top:.1f}"
            for i, v in enumerate(previous[: len(points)])
        ]
        line = " ".join(coords)
    return {
        "kind": "bars",
        "bars": bars,
        "ticks": _ticks(top),
        "line": line,
        "width": WIDTH,
        "height": HEIGHT,
        "base": PAD_TOP + plot_h,
    }


def line_chart(
    points: list[tuple[str, float | None]],
    *,
    second: list[tuple[str, float | None]] | None = None,
    unit: str = "",
    fixed_max: float | None = None,
) -> dict[str, Any]:
    """One or two lines over the days; days without a value leave a gap."""
    values = [v for _, v in points + (second or []) if v is not None]
    top = fixed_max or _nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(points) - 1, 1)

    def path(series: list[tuple[str, float | None]]) -> tuple[list[str], list[dict[str, Any]]]:
        segments, current, dots = [], [], []
        for i, (label, v) in enumerate(series):
            if v is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            x, y = PAD_LEFT + i * step, PAD_TOP + plot_h - plot_h * v / top
            current.append(f"{x:.1f},{y:.1f}")
            dots.append({"x": x, "y": y, "title": f"{label}: {v:.1f} {unit}".strip()})
        if current:
            segments.append(" ".join(current))
        return segments, dots

    first_segments, first_dots = path(points)
    second_segments, second_dots = path(second or [])
    every = max(1, len(points) // 8)
    labels = [
        {"x": PAD_LEFT + i * step, "text": label[5:]} for i, (label, _) in enumerate(points) if i % every == 0
    ]
    return {
        "kind": "lines",
        "segments": first_segments,
        "dots": first_dots,
        "segments2": second_segments,
        "dots2": second_dots,
        "labels": labels,
        "ticks": _ticks(top, unit),
        "width": WIDTH,
        "height": HEIGHT,
        "base": PAD_TOP + plot_h,
    }


def hbar_chart(rows: list[tuple[str, float, str | None]]) -> dict[str, Any]:
    """Horizontal bars, one row per group, longest first."""
    rows = rows[:10]
    top = max([v for _, v, _ in rows] + [1.0])
    row_h, label_w = 24, 170
    bars = [
        {
            "y": 4 + i * row_h,
            "w": max(1.0, (WIDTH - label_w - 60) * value / top),
            "label": label,
            "value": f"{value:.0f}",
            "href": href,
            "text_x": label_w + max(1.0, (WIDTH - label_w - 60) * value / top) + 6,
        }
        for i, (label, value, href) in enumerate(rows)
    ]
    return {
        "kind": "hbars",
        "bars": bars,
        "label_w": label_w,
        "width": WIDTH,
        "height": 8 + row_h * max(len(rows), 1),
    }
