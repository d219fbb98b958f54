"""The insights JSON API (the dashboard's numbers), CSV export of every table, survey settings."""

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.deps import Admin, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.insights.actions.facts import refresh_facts
from sprawa.insights.actions.surveys import SurveySettings, do_update_survey_settings, survey_settings
from sprawa.insights.queries import (
    Report,
    build_report,
    check_insights_reader,
    dashboard_out,
    drill_cases,
    drill_ids,
    tables_out,
)
from sprawa.insights.schemas import DashboardOut, DrillCase, DrillOut, Filters, Period, SurveySettingsPatch
from sprawa.insights.tasks import SWEEP_SECONDS, schedule_sweep
from sprawa.platform.errors import InvalidInput, NotFound
from sprawa.workspaces.schemas import validation_details

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])


def fresh_reader(runtime: RuntimeDep, principal: CurrentPrincipal) -> Iterator[Session]:
    """A read session that sees the facts brought up to date just now (changed cases only).

    Its own transaction, begun after the refresh committed: SQLite keeps a reader on the snapshot of its
    first read, so the request's own session (which read the principal) would not see the new facts.
    """
    check_insights_reader(principal)
    with runtime.factory.begin() as session:
        refresh_facts(session, principal.workspace_id)
        schedule_sweep(session, delay=SWEEP_SECONDS)
    with runtime.reader() as session, session.begin():
        yield session


FreshSession = Annotated[Session, Depends(fresh_reader)]


def report_params(
    start: Annotated[date | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (included)")] = None,
    channel_id: Annotated[str | None, Query(max_length=26)] = None,
    team_id: Annotated[str | None, Query(max_length=26)] = None,
    agent_id: Annotated[str | None, Query(max_length=26)] = None,
    intent: Annotated[str | None, Query(max_length=32)] = None,
) -> tuple[Period | None, Filters]:
    """The period (default: the last 30 days) and the filters, validated; an empty filter means "all"."""
    try:
        period = None
        if start or end:
            if not (start and end):
                raise InvalidInput("give both from and to, or neither", code="invalid_period")
            period = Period(start=start, end=end)
        filters = Filters(
            channel_id=channel_id or None,
            team_id=team_id or None,
            agent_id=agent_id or None,
            intent=intent or None,
        )
    except ValidationError as exc:
        raise InvalidInput(
            "the period or a filter is not valid", code="invalid_period", details=validation_details(exc)
        ) from exc
    return period, filters


ReportParams = Annotated[tuple[Period | None, Filters], Depends(report_params)]


def _report(
    session: Session, principal: Principal, params: tuple[Period | None, Filters], *, full: bool = True
) -> Report:
    return build_report(session, principal, params[0], params[1], full=full)


@router.get("/dashboard", response_model=DashboardOut)
def get_dashboard(db: FreshSession, principal: CurrentPrincipal, params: ReportParams) -> DashboardOut:
    """Every number of the dashboard for the period, with the previous period for comparison."""
    return dashboard_out(_report(db, principal, params))


@router.get("/cases", response_model=DrillOut)
def get_drill_down(
    db: FreshSession,
    principal: CurrentPrincipal,
    params: ReportParams,
    metric: Annotated[str, Query(min_length=1, max_length=40)],
    part: Annotated[str, Query(max_length=40)] = "num",
) -> DrillOut:
    """The cases behind one number (``part``: num or den of a ratio, or the group of a breakdown)."""
    report = _report(db, principal, params, full=False)
    ids = drill_ids(db, report, metric, part)
    rows = drill_cases(db, principal, ids)
    return DrillOut(
        metric=metric,
        part=part,
        total=len(set(ids)),
        cases=[
            DrillCase(
                id=r.id,
                number=r.number,
                subject=r.subject,
                status=str(r.status),
                created_at=r.created_at.isoformat(),
                channel=r.channel,
            )
            for r in rows
        ],
    )


def csv_response(rows: list[list[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(rows)
    # A BOM so that spreadsheet programs read the Polish letters as UTF-8.
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _safe_cell(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@router.get("/export/{table}.csv")
def export_csv(
    db: FreshSession,
    principal: CurrentPrincipal,
    params: ReportParams,
    table: str,
    metric: Annotated[str | None, Query(max_length=40)] = None,
    part: Annotated[str, Query(max_length=40)] = "num",
) -> Response:
    """One dashboard table as CSV (raw values: seconds, ratios 0..1).

    ``metrics`` gives the headline numbers; ``cases`` with ``metric``/``part`` the cases behind a number.
    """
    report = _report(db, principal, params, full=table != "cases")
    stamp = f"{report.period.start.isoformat()}_{report.period.end.isoformat()}"
    if table == "cases":
        if not metric:
            raise InvalidInput("say which number's cases to export (metric)", code="missing_metric")
        cases = drill_cases(db, principal, drill_ids(db, report, metric, part), limit=100_000)
        rows = [["id", "number", "subject", "status", "created_at", "channel"]]
        rows += [
            [c.id, c.number, c.subject, str(c.status), c.created_at.isoformat(), c.channel] for c in cases
        ]
        return csv_response(
            [[_safe_cell(v) for v in r] for r in rows], f"insights-{metric}-{part}-{stamp}.csv"
        )
    if table == "metrics":
        out = dashboard_out(report)
        rows: list[list[Any]] = [["metric", "label", "unit", "value", "numerator", "denominator", "previous"]]
        rows += [
            [m.key, m.label, m.unit, m.value, m.numerator, m.denominator, m.previous] for m in out.metrics
        ]
        return csv_response([[_safe_cell(c) for c in r] for r in rows], f"insights-metrics-{stamp}.csv")
    found = next((t for t in tables_out(report) if t.key == table), None)
    if found is None:
        raise NotFound("no such table", code="no_such_table")
    rows = [["key", *found.columns]]
    rows += [[row.get("key"), *[row.get(c) for c in found.columns]] for row in found.rows]
    return csv_response([[_safe_cell(c) for c in r] for r in rows], f"insights-{table}-{stamp}.csv")


@router.get("/survey-settings", response_model=SurveySettings)
def get_survey_settings(db: DbSession, principal: Admin) -> SurveySettings:
    return survey_settings(db, principal.workspace_id)


@router.patch("/survey-settings", response_model=SurveySettings)
def patch_survey_settings(db: DbSession, principal: Admin, body: SurveySettingsPatch) -> SurveySettings:
    """Change the survey policy (CSAT on/off and delay, NPS on/off and cooldown)."""
    return do_update_survey_settings(db, principal, body.changes())
