"""One AI turn's context (message, understanding, verified scope, shop) and what a flow answers."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import Session

from sprawa.ai.actions.base import ActionName, Outcome
from sprawa.ai.actions.layer import ActionContext, Scope, run_action
from sprawa.ai.models import AICaseState
from sprawa.ai.nlu import Understanding
from sprawa.ai.responder.templates import ORDER_STATES, say
from sprawa.cases.models import Case, Message
from sprawa.commerce.base import STATUS_LABELS, CommerceConnector, OrderDetail, OrderStatus
from sprawa.customers.models import Customer
from sprawa.workspaces.models import Workspace


@dataclass
class Reply:
    """What a flow decided: the text for the customer (None = no reply) and why."""

    text: str | None
    chosen: str
    reason: str
    summary: str
    progress: bool = True
    escalate: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)


@dataclass
class Turn:
    session: Session
    workspace: Workspace
    case: Case
    customer: Customer
    message: Message
    state: AICaseState
    u: Understanding
    lang: str
    connector: CommerceConnector
    now: datetime
    attachments: int = 0
    # Agent-assist drafts: nothing is executed at the shop, even after a customer's yes.
    dry_run: bool = False
    passages: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    # Everything the reply may state: shop data and policy results of actions, quoted passages.
    grounding: list[str] = field(default_factory=list)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.workspace.timezone or "Europe/Warsaw")

    def scope(self) -> Scope:
        s = self.state
        return Scope(
            emails=frozenset({s.verified_email.lower()} if s.verified_email else set()),
            shop_customer_ref=s.shop_customer_ref,
            order_numbers=frozenset(s.verified_orders or []),
        )

    def act(self, name: ActionName, args: dict[str, Any], *, confirmed: bool = False) -> Outcome:
        ctx = ActionContext(
            session=self.session,
            workspace_id=self.workspace.id,
            connector=self.connector,
            by_ai=True,
            scope=self.scope(),
            customer_id=self.customer.id,
            case_id=self.case.id,
            confirmed=confirmed and not self.dry_run,
            now=lambda: self.now,
            calls=self.calls,
        )
        outcome = run_action(ctx, name, args)
        self.checks.append({"action": str(name), **outcome.check.as_dict()})
        self.grounding.append(json.dumps(jsonable_encoder(outcome.as_dict()), ensure_ascii=False))
        return outcome

    def first_name(self) -> str | None:
        name = (self.customer.name or "").strip()
        return name.split()[0] if name else None

    # --- formatting in the customer's language ---------------------------------------------------
    def date(self, value: datetime) -> str:
        local = value.astimezone(self.tz)
        return local.strftime("%d %B %Y") if self.lang == "en" else local.strftime("%d.%m.%Y")

    def when(self, value: datetime) -> str:
        local = value.astimezone(self.tz)
        return local.strftime("%d %B %Y, %H:%M") if self.lang == "en" else local.strftime("%d.%m.%Y, %H:%M")

    def money(self, amount: Decimal | str, currency: str) -> str:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
        if self.lang == "en":
            return f"{currency} {value:,.2f}"
        whole, _, cents = f"{value:,.2f}".partition(".")
        text = whole.replace(",", NBSP) + "," + cents
        return f"{text} zł" if currency == "PLN" else f"{text} {currency}"

    def status(self, order: OrderDetail) -> str:
        if self.lang in ("pl", "en"):
            return STATUS_LABELS[order.status][0 if self.lang == "pl" else 1]
        return ORDER_STATES[str(order.status)][self.lang]

    def say(self, key: str, **values: Any) -> str:
        return say(key, self.lang, **values)

    def items(self, order: OrderDetail) -> str:
        return ", ".join(
            f"{line.name}" + (f" × {line.quantity}" if line.quantity > 1 else "") for line in order.items
        )


NBSP = "\u00a0"
DELIVERED_LIKE = frozenset(
    {
        OrderStatus.DELIVERED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.EXCHANGE_REQUESTED,
        OrderStatus.RETURNED,
    }
)
