"""Turning rule candidates into messages: once per event, on the customer's channel, within every rule.

The notice row (unique dedup key) is written before the message, in the same transaction: two workers that
race on one event cannot both send, and a retried job finds the row and stops. A notice held back by quiet
hours or the daily cap writes nothing, so a later run sends it.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case, CaseOrder, CaseStatus
from sprawa.cases.service import OPEN_STATES, do_reply, link_orders, open_case
from sprawa.channels.base import ChannelAdapter
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer
from sprawa.customers.service import live_customer
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.events import Event, emit
from sprawa.privacy.actions.consents import withdrawal_token
from sprawa.proactive.models import NoticeStatus, ProactiveNotice, Suggestion
from sprawa.proactive.notifications import (
    in_quiet_hours,
    language_of,
    opted_out,
    render,
    route,
    template_name,
)
from sprawa.proactive.queries import compensation_allowed, proactive_settings
from sprawa.proactive.rules import Candidate, candidates
from sprawa.proactive.schemas import ProactiveSettings, RuleKind
from sprawa.proactive.suggestions import messages_sent, reminder_text, replenishment
from sprawa.workspaces.models import Workspace

if TYPE_CHECKING:
    from sprawa.runtime import Runtime

REMINDER_BATCH = 500
SUBJECTS = {
    RuleKind.LATE: "Opóźnienie przesyłki",
    RuleKind.NO_SCAN: "Przesyłka bez nowych skanów",
    RuleKind.DELIVERY_EXCEPTION: "Problem z doręczeniem",
    RuleKind.PICKUP_WAITING: "Paczka czeka w Paczkomacie",
    RuleKind.PARTIAL_SHIPMENT: "Wysyłka w częściach",
    RuleKind.REFUND_ISSUED: "Zwrot pieniędzy",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate: sent, skipped (recorded), held (quiet hours, cap) or duplicate."""

    candidate: Candidate
    result: str  # sent | skipped | held | duplicate
    reason: str | None = None
    text: str | None = None


def opt_out_token(secrets: SecretBox, customer: Customer) -> str:
    return secrets.seal({"w": customer.workspace_id, "c": customer.id, "p": "notices"})


class Notifier:
    """Sends proactive notices through the channel adapters of this process."""

    def __init__(
        self,
        adapters: dict[Any, ChannelAdapter],
        secrets: SecretBox,
        public_url: str = "",
        secret_key: str = "",
    ) -> None:
        self.adapters = adapters
        self.secrets = secrets
        self.public_url = public_url.rstrip("/")
        self.secret_key = secret_key  # signs the marketing-consent withdrawal links (privacy feature)

    @classmethod
    def from_runtime(cls, runtime: "Runtime") -> "Notifier":
        return cls(
            runtime.ingest.adapters,
            runtime.ingest.secrets,
            runtime.settings.public_url,
            runtime.settings.resolved_secret_key,
        )

    # --- entry points ---------------------------------------------------------------------------------
    def evaluate_orders(self, session: Session, workspace_id: str, order_ids: list[str]) -> list[Outcome]:
        """Run the rules on orders a webhook or journal just changed."""
        settings = proactive_settings(session, workspace_id)
        if not settings.enabled:
            return []
        now = utcnow()
        found = candidates(session, workspace_id, settings, now, order_ids)
        return [self.notify(session, workspace_id, settings, c, now) for c in found]

    def scan(self, session: Session, workspace_id: str, now: datetime | None = None) -> list[Outcome]:
        """Run the rules on every open parcel of the workspace (the periodic job)."""
        settings = proactive_settings(session, workspace_id)
        if not settings.enabled:
            return []
        now = now or utcnow()
        return [
            self.notify(session, workspace_id, settings, c, now)
            for c in candidates(session, workspace_id, settings, now)
        ]

    def remind(self, session: Session, workspace_id: str, now: datetime | None = None) -> list[str]:
        """Replenishment reminders (marketing): consent on the channel, within the cap, outside quiet hours.

        Returns the ids of the suggestions sent. Nothing is recorded for a customer who cannot be reached
        with marketing, so a consent given later lets the reminder go.
        """
        settings = proactive_settings(session, workspace_id)
        cap = settings.suggestions.max_messages_per_30_days
        if not settings.enabled or not settings.suggestions.replenishment or cap == 0:
            return []
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        now = now or utcnow()
        if in_quiet_hours(settings.quiet_hours, now, workspace.timezone):
            return []
        repeat_buyers = session.scalars(
            select(Order.customer_id)
            .where(
                Order.workspace_id == workspace_id,
                Order.customer_id.is_not(None),
                Order.placed_at > now - timedelta(days=400),
            )
            .group_by(Order.customer_id)
            .having(func.count() >= 2)
            .limit(REMINDER_BATCH)
        )
        sent = []
        for customer_id in list(repeat_buyers):
            customer = live_customer(session, customer_id)
            proposals = replenishment(session, customer, now)
            if not proposals or messages_sent(session, customer, now) >= cap:
                continue
            p = proposals[0]
            key = f"{customer.id}:{p.dedup_key}"
            if session.scalar(
                select(Suggestion.id).where(
                    Suggestion.workspace_id == workspace_id, Suggestion.dedup_key == key
                )
            ):
                continue
            way = route(session, customer, self.adapters, now, marketing=True)
            if way is None:
                continue
            lang = language_of(customer, workspace.default_language)
            withdraw = None
            if self.public_url and self.secret_key:
                token = withdrawal_token(self.secret_key, customer, str(way.channel.kind))
                withdraw = f"{self.public_url}/zgody/wypisz/{token}"
            text = reminder_text(p, customer, lang, withdraw)
            suggestion = Suggestion(
                workspace_id=workspace_id,
                customer_id=customer.id,
                kind=p.kind,
                product_external_id=p.product_external_id,
                product_name=p.product_name,
                why_pl=p.why_pl,
                why_en=p.why_en,
                due_at=p.due_at,
                dedup_key=key,
                status="sent",
                created_at=now,
            )
            session.add(suggestion)
            session.flush()
            case = open_case(
                session,
                customer,
                subject=f"Przypomnienie: {p.product_name}"[:500],
                channel_id=way.channel.id,
                language=lang,
            )
            message = do_reply(
                session,
                Principal.system(workspace_id, AuthorKind.SYSTEM),
                case,
                text,
                thread_id=way.thread.id,
                status_after=CaseStatus.RESOLVED,
            )
            suggestion.message_id = message.id
            sent.append(suggestion.id)
        return sent

    def preview(self, session: Session, workspace_id: str, now: datetime | None = None) -> list[Outcome]:
        """Dry run: what the rules would do now, whether or not they are switched on; writes nothing."""
        settings = proactive_settings(session, workspace_id)
        now = now or utcnow()
        found = candidates(session, workspace_id, settings, now)
        return [self.notify(session, workspace_id, settings, c, now, dry_run=True) for c in found]

    # --- one candidate --------------------------------------------------------------------------------
    def notify(
        self,
        session: Session,
        workspace_id: str,
        settings: ProactiveSettings,
        c: Candidate,
        now: datetime,
        *,
        dry_run: bool = False,
    ) -> Outcome:
        if session.scalar(
            select(ProactiveNotice.id).where(
                ProactiveNotice.workspace_id == workspace_id, ProactiveNotice.dedup_key == c.dedup_key
            )
        ):
            return Outcome(c, "duplicate")
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None and c.order.customer_id is not None
        customer = live_customer(session, c.order.customer_id)
        lang = language_of(customer, workspace.default_language)
        if opted_out(session, customer):
            return self._skip(session, c, customer, lang, "opted_out", dry_run)
        if not dry_run and in_quiet_hours(settings.quiet_hours, now, workspace.timezone):
            return Outcome(c, "held", "quiet_hours")
        if self._sent_today(session, customer, now) >= settings.max_notices_per_customer_per_day:
            return Outcome(c, "held", "daily_cap")
        way = route(session, customer, self.adapters, now)
        if way is None:
            return self._skip(session, c, customer, lang, "no_channel", dry_run)
        opt_out = (
            f"{self.public_url}/api/v1/proactive/opt-out?token={opt_out_token(self.secrets, customer)}"
            if self.public_url
            else None
        )
        compensation = (
            c.rule == RuleKind.LATE
            and settings.offer_compensation
            and compensation_allowed(session, workspace_id)
        )
        text, params = render(
            c, lang, customer, workspace.timezone, compensation=compensation, opt_out_url=opt_out
        )
        if dry_run:
            return Outcome(c, "sent", text=text)
        notice = ProactiveNotice(
            workspace_id=workspace_id,
            customer_id=customer.id,
            order_id=c.order.id,
            rule=str(c.rule),
            dedup_key=c.dedup_key,
            status=NoticeStatus.SENT,
            channel_id=way.channel.id,
            template=template_name(c.rule, lang) if way.template else None,
            template_params=params if way.template else [],
            language=lang,
            created_at=now,
        )
        session.add(notice)
        session.flush()  # the unique key stops a racing worker here, before any message exists
        case, is_new = self._case_for(session, customer, c, way.channel.id, lang)
        message = do_reply(
            session,
            Principal.system(workspace_id, AuthorKind.SYSTEM),
            case,
            text,
            thread_id=way.thread.id,
            status_after=CaseStatus.RESOLVED if is_new else None,
        )
        message.language = lang
        notice.case_id, notice.message_id = case.id, message.id
        emit(
            session,
            Event(
                "proactive.notice_sent",
                workspace_id,
                {"notice_id": notice.id, "rule": notice.rule, "case_id": case.id, "customer_id": customer.id},
                case_id=case.id,
            ),
        )
        return Outcome(c, "sent", text=text)

    def _skip(
        self, session: Session, c: Candidate, customer: Customer, lang: str, reason: str, dry_run: bool
    ) -> Outcome:
        if not dry_run:
            session.add(
                ProactiveNotice(
                    workspace_id=customer.workspace_id,
                    customer_id=customer.id,
                    order_id=c.order.id,
                    rule=str(c.rule),
                    dedup_key=c.dedup_key,
                    status=NoticeStatus.SKIPPED,
                    reason=reason,
                    language=lang,
                )
            )
            session.flush()
        return Outcome(c, "skipped", reason)

    def _sent_today(self, session: Session, customer: Customer, now: datetime) -> int:
        return (
            session.scalar(
                select(func.count()).where(
                    ProactiveNotice.customer_id == customer.id,
                    ProactiveNotice.status == NoticeStatus.SENT,
                    ProactiveNotice.created_at > now - timedelta(days=1),
                )
            )
            or 0
        )

    def _case_for(
        self, session: Session, customer: Customer, c: Candidate, channel_id: str, lang: str
    ) -> tuple[Case, bool]:
        """The customer's open case about this order, or a new one that records the notice."""
        case = session.scalars(
            select(Case)
            .join(CaseOrder, CaseOrder.case_id == Case.id)
            .where(
                Case.customer_id == customer.id,
                Case.status.in_(OPEN_STATES),
                CaseOrder.order_id == c.order.id,
            )
            .order_by(Case.last_message_at.desc())
            .limit(1)
        ).first()
        if case is not None:
            return case, False
        subject = f"{SUBJECTS[c.rule]} — zamówienie {c.order.number}"
        case = open_case(session, customer, subject=subject, channel_id=channel_id, language=lang)
        link_orders(session, case, [c.order.id], "proactive notice")
        return case, True


def summarise(outcomes: list[Outcome]) -> dict[RuleKind, tuple[int, int, list[str]]]:
    """Per rule: customers who would get a message, messages, up to three sample texts."""
    customers: dict[RuleKind, set[str]] = defaultdict(set)
    counts: Counter[RuleKind] = Counter()
    samples: dict[RuleKind, list[str]] = defaultdict(list)
    for o in outcomes:
        if o.result != "sent":
            continue
        rule = o.candidate.rule
        customers[rule].add(str(o.candidate.order.customer_id))
        counts[rule] += 1
        if o.text and len(samples[rule]) < 3:
            samples[rule].append(o.text)
    return {rule: (len(customers[rule]), counts[rule], samples[rule]) for rule in RuleKind}
