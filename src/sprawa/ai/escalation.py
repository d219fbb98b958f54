"""Escalation rules (DESIGN 5.5): reason codes, per-workspace rules, routing, opening hours.

Rules are the workspace's typed ``EscalationPolicy``: a reason without a rule is on (with normal
priority and team chosen by skills); a rule can switch a reason off, send it to a team and set the
priority. Routing without a team in the rule picks the team whose skills match the reason and the
customer's language, with the fewest open cases.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.cases.models import Case, CaseStatus, Priority
from sprawa.cases.service import OPEN_STATES
from sprawa.customers.models import Customer
from sprawa.workspaces.models import PolicyKind, Team
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import BusinessHoursPolicy, EscalationPolicy, EscalationReason, Weekday

R = EscalationReason

#: Plain-language labels for agents (Polish, English).
REASON_LABELS: dict[str, tuple[str, str]] = {
    R.HUMAN_REQUEST: ("Klient prosi o rozmowę z człowiekiem", "The customer asked for a person"),
    R.FRUSTRATION: ("Klient jest zdenerwowany", "The customer is upset"),
    R.COMPLAINT: ("Reklamacja — decyzję podejmuje człowiek", "A complaint — a person decides"),
    R.LEGAL: ("Wzmianka o krokach prawnych (UOKiK, sąd, chargeback)", "Legal steps mentioned"),
    R.HEALTH_SAFETY: ("Zdrowie lub bezpieczeństwo", "Health or safety"),
    R.DATA_PROTECTION: ("Wniosek o dane osobowe (RODO)", "A data-protection (GDPR) request"),
    R.VIP_CUSTOMER: ("Klient VIP lub oznaczony", "A VIP or flagged customer"),
    R.REPEAT_CONTACT: ("Kolejny kontakt w tej samej sprawie", "Repeat contact on the same matter"),
    R.LOW_CONFIDENCE: ("AI nie jest pewne, o co chodzi", "The AI is not sure what this is about"),
    R.FAILED_ACTION: ("Akcja w sklepie się nie powiodła", "An action at the shop failed"),
    R.APPROVAL_REQUIRED: (
        "Polityka sklepu wymaga decyzji człowieka",
        "Shop policy needs a person's approval",
    ),
    R.AI_TURN_LIMIT: ("Kilka odpowiedzi AI bez postępu", "Several AI replies without progress"),
}
#: Team skills that suit each reason (routing when no rule names a team).
REASON_SKILLS: dict[str, tuple[str, ...]] = {
    R.COMPLAINT: ("complaints", "returns"),
    R.LEGAL: ("complaints", "legal"),
    R.HEALTH_SAFETY: ("complaints", "safety"),
    R.DATA_PROTECTION: ("privacy", "general"),
    R.VIP_CUSTOMER: ("vip", "b2b"),
    R.APPROVAL_REQUIRED: ("returns", "general"),
}
_PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
DEFAULT_PRIORITY = {R.LEGAL: Priority.HIGH, R.HEALTH_SAFETY: Priority.URGENT, R.FRUSTRATION: Priority.HIGH}
VIP_FLAGS = frozenset({"vip", "flagged"})


def escalation_policy(session: Session, workspace_id: str) -> EscalationPolicy:
    policy = typed_policy(session, workspace_id, PolicyKind.ESCALATION)
    assert isinstance(policy, EscalationPolicy)
    return policy


def enabled(policy: EscalationPolicy, reasons: list[str]) -> list[str]:
    """The reasons the workspace escalates on, in the given order, without repeats."""
    off = {r.reason for r in policy.rules if not r.enabled}
    return [r for r in dict.fromkeys(reasons) if r not in off]


def customer_reasons(session: Session, customer: Customer, case: Case, intent: str | None) -> list[str]:
    """Reasons that come from who the customer is and their history, not from the message."""
    reasons: list[str] = []
    if VIP_FLAGS & {f.lower() for f in customer.flags or []}:
        reasons.append(R.VIP_CUSTOMER)
    if intent and intent not in ("other", "unknown", "human_request"):
        week_ago = case.created_at - timedelta(days=7)
        earlier = session.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.customer_id == customer.id,
                Case.id != case.id,
                Case.intent == intent,
                Case.created_at >= week_ago,
            )
        )
        if earlier:
            reasons.append(R.REPEAT_CONTACT)
    return reasons


@dataclass(frozen=True)
class Route:
    team: Team | None
    priority: Priority


def route(session: Session, workspace_id: str, reasons: list[str], language: str) -> Route:
    policy = escalation_policy(session, workspace_id)
    rules = {r.reason: r for r in policy.rules if r.enabled}
    priority = Priority.NORMAL
    team_id = None
    for reason in reasons:
        rule = rules.get(reason)
        wanted = rule.priority if rule else DEFAULT_PRIORITY.get(reason, Priority.NORMAL)
        if _PRIORITY_ORDER.index(wanted) > _PRIORITY_ORDER.index(priority):
            priority = wanted
        if team_id is None and rule and rule.team_id:
            team_id = rule.team_id
    teams = list(session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id)))
    if team_id:
        chosen = next((t for t in teams if t.id == team_id), None)
        if chosen is not None:
            return Route(chosen, priority)
    return Route(_by_skills(session, teams, reasons, language), priority)


def _by_skills(session: Session, teams: list[Team], reasons: list[str], language: str) -> Team | None:
    if not teams:
        return None
    # A team for the matter counts most, then one for the customer's language, then a general team.
    weights = dict.fromkeys({s for r in reasons for s in REASON_SKILLS.get(r, ())}, 4)
    if language != "pl":
        weights[language] = 2
    weights.setdefault("general", 1)
    load = dict(
        session.execute(
            select(Case.team_id, func.count())
            .where(Case.team_id.in_([t.id for t in teams]), Case.status.in_(OPEN_STATES))
            .group_by(Case.team_id)
        ).all()
    )

    def rank(team: Team) -> tuple[int, int]:
        return (-sum(weights.get(skill, 0) for skill in team.skills or []), load.get(team.id, 0))

    return min(teams, key=rank)


# ------------------------------------------------------------------------------------ opening hours

_DAYS = [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT, Weekday.SUN]


def opening(session: Session, workspace_id: str, now: datetime) -> tuple[bool, datetime | None]:
    """Whether the shop's team works now, and when it opens next (None: no hours set = always open)."""
    hours = typed_policy(session, workspace_id, PolicyKind.BUSINESS_HOURS)
    assert isinstance(hours, BusinessHoursPolicy)
    if not hours.days:
        return True, None
    tz = ZoneInfo(hours.timezone)
    local = now.astimezone(tz)
    closed: set[date] = set(hours.closed_dates)
    for offset in range(0, 15):
        day = (local + timedelta(days=offset)).date()
        if day in closed:
            continue
        for interval in hours.days.get(_DAYS[day.weekday()], []):
            start = datetime.combine(day, interval.start, tz)
            end = datetime.combine(day, interval.end, tz)
            if offset == 0 and start <= local < end:
                return True, None
            if start > local:
                return False, start
    return False, None


def first_response_minutes(session: Session, workspace_id: str) -> int:
    sla = typed_policy(session, workspace_id, PolicyKind.SLA)
    return int(getattr(sla, "first_response_minutes", 60))


def reopen_if_needed(case: Case) -> None:
    """Escalated cases must sit where agents look: never pending on the customer."""
    from sprawa.cases.service import transition

    if case.status in (CaseStatus.NEW, CaseStatus.PENDING_CUSTOMER):
        transition(case, CaseStatus.OPEN)
