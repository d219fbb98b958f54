"""τ²-bench retail conformance: the benchmark's 15 tools mapped onto the action layer and the demo shop.

``sprawa tau2 replay --tasks tasks.json --db db.json --out results.json`` loads ``db.json`` into a demo shop
(a scratch SQLite database, once), then applies each task's gold actions inside a savepoint that is rolled
back afterwards, so every task starts from the same data. Each tool:

1. checks the conversation policy: one customer per conversation (``policy.md``: "You can only help one
   user per conversation") — a write on an order of another user is refused with a reason;
2. runs the benchmark's own argument and state checks in its order, with its exact error texts
   (``TOOLS-SPEC.md``), reading the shop's current state;
3. performs the change through :func:`sprawa.ai.actions.layer.run_action` (workspace policy: the τ² policy as
   typed Sprawa policies) and the demo shop connector, confirmed (gold actions are what the customer
   confirmed);
4. returns the record in db.json's shape, read back from the shop tables.

Gold action lists of 45 tasks contain only the writes (their authentication happened in conversation), so
the replay cannot insist on an authentication call before a write; the one-user rule still holds.
"""

import copy
import json
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.ai.actions.base import ActionName, ActionStatus
from sprawa.ai.actions.layer import ActionContext, Scope, run_action
from sprawa.ai.arithmetic import evaluate
from sprawa.commerce.demo.connector import DemoRules, DemoShop
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoReturn,
    DemoVariant,
)
from sprawa.commerce.tau2 import TAU2_EPOCH, TAU2_RULES, load_tau2
from sprawa.workspaces.models import Policy, PolicyKind, Workspace
from sprawa.workspaces.schemas import parse_policy

OPTIONAL_ORDER_FIELDS = (
    "cancel_reason",
    "exchange_items",
    "exchange_new_items",
    "exchange_payment_method_id",
    "exchange_price_difference",
    "return_items",
    "return_payment_method_id",
)
TOOL_NAMES = (
    "find_user_id_by_email",
    "find_user_id_by_name_zip",
    "get_user_details",
    "get_order_details",
    "get_product_details",
    "get_item_details",
    "list_all_product_types",
    "calculate",
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "modify_user_address",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
    "transfer_to_human_agents",
)


class Tau2Error(Exception):
    """A refusal with the benchmark's own message."""


class PolicyRefusal(Exception):
    """A call the shop policy refuses although the benchmark's tool would run it."""


class _Address(BaseModel):
    """The benchmark validates addresses with pydantic: every field must be a string."""

    model_config = ConfigDict(strict=True)

    address1: str
    address2: str
    city: str
    country: str
    state: str
    zip: str


def _money(value: Decimal | None) -> float:
    return float(value) if value is not None else 0.0


class RetailTools:
    """The benchmark's tool API over one workspace's demo shop; names and signatures are the contract."""

    def __init__(self, session: Session, workspace_id: str, base: dict[str, Any]) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.base = base
        self.shop = DemoShop(
            session, workspace_id, rules=DemoRules.from_settings(TAU2_RULES), now=lambda: TAU2_EPOCH
        )
        self.user_id: str | None = None  # the one customer of this conversation
        self.touched_orders: set[str] = set()
        self.touched_users: set[str] = set()
        self.calls: list[dict[str, Any]] = []

    # --- reads ---------------------------------------------------------------------------------------
    def find_user_id_by_email(self, email: str) -> str:
        for customer in self.shop.find_customers(email=str(email)):
            return self._authenticate(customer.external_id)
        raise Tau2Error("User not found")

    def find_user_id_by_name_zip(self, first_name: str, last_name: str, zip: str) -> str:  # noqa: A002
        rows = self.session.execute(
            select(
                DemoCustomer.external_ref,
                DemoCustomer.first_name,
                DemoCustomer.last_name,
                DemoCustomer.address,
            )
            .where(
                DemoCustomer.workspace_id == self.workspace_id,
                func.lower(DemoCustomer.first_name) == str(first_name).lower(),
                func.lower(DemoCustomer.last_name) == str(last_name).lower(),
            )
            .order_by(DemoCustomer.created_at)
        ).all()
        for ref, _first, _last, address in rows:
            if address.get("postcode") == zip:
                return self._authenticate(ref)
        raise Tau2Error("User not found")

    def get_user_details(self, user_id: str) -> dict[str, Any]:
        return self.user_record(user_id)

    def get_order_details(self, order_id: str) -> dict[str, Any]:
        return self.order_record(order_id)

    def get_product_details(self, product_id: str) -> dict[str, Any]:
        product = self.session.scalars(
            select(DemoProduct).where(
                DemoProduct.workspace_id == self.workspace_id, DemoProduct.external_ref == product_id
            )
        ).first()
        if product is None:
            raise Tau2Error("Product not found")
        variants = {
            v.external_ref: v
            for v in self.session.scalars(select(DemoVariant).where(DemoVariant.product_id == product.id))
        }
        order = list(self.base["products"][product_id]["variants"])
        return {
            "name": product.name,
            "product_id": product.external_ref,
            "variants": {ref: self._variant(variants[ref]) for ref in order if ref in variants},
        }

    def get_item_details(self, item_id: str) -> dict[str, Any]:
        variant = self.session.scalars(
            select(DemoVariant).where(
                DemoVariant.workspace_id == self.workspace_id, DemoVariant.external_ref == item_id
            )
        ).first()
        if variant is None:
            raise Tau2Error("Item not found")
        return self._variant(variant)

    def list_all_product_types(self) -> str:
        rows = self.session.execute(
            select(DemoProduct.name, DemoProduct.external_ref).where(
                DemoProduct.workspace_id == self.workspace_id
            )
        ).all()
        return json.dumps(dict(sorted(rows)))

    def calculate(self, expression: str) -> str:
        try:
            value = evaluate(expression)
        except Exception as exc:  # the benchmark passes Python's own error text through
            raise Tau2Error(str(exc)) from exc
        return str(round(float(value), 2))

    def transfer_to_human_agents(self, summary: str) -> str:
        return "Transfer successful"

    # --- writes --------------------------------------------------------------------------------------
    def cancel_pending_order(self, order_id: str, reason: str) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if order.external_status != "pending":
            raise Tau2Error("Non-pending order cannot be cancelled")
        if reason not in ("no longer needed", "ordered by mistake"):
            raise Tau2Error("Invalid reason")
        self._act(order, ActionName.CANCEL_ORDER, {"order_number": order_id, "reason": reason})
        return self.order_record(order_id)

    def modify_pending_order_address(
        self,
        order_id: str,
        address1: str,
        address2: str,
        city: str,
        state: str,
        country: str,
        zip: str,  # noqa: A002
    ) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if "pending" not in (order.external_status or ""):
            raise Tau2Error("Non-pending order cannot be modified")
        address = self._address(address1, address2, city, state, country, zip)
        self._act(
            order,
            ActionName.CHANGE_ADDRESS,
            {
                "order_number": order_id,
                "street": address.address1,
                "line2": address.address2,
                "city": address.city,
                "region": address.state,
                "country": address.country,
                "postcode": address.zip,
            },
        )
        return self.order_record(order_id)

    def modify_user_address(
        self,
        user_id: str,
        address1: str,
        address2: str,
        city: str,
        state: str,
        country: str,
        zip: str,  # noqa: A002
    ) -> dict[str, Any]:
        customer = self._customer(user_id)
        self._policy_user(user_id)
        address = self._address(address1, address2, city, state, country, zip)
        # The connector interface has no "change the account's default address"; the demo shop's own
        # customer row is the shop's record of it.
        customer.address = {
            **customer.address,
            "street": address.address1,
            "line2": address.address2,
            "city": address.city,
            "region": address.state,
            "country": address.country,
            "postcode": address.zip,
        }
        self.session.flush()
        self.touched_users.add(user_id)
        self.calls.append({"action": "change_customer_address", "status": "done"})
        return self.user_record(user_id)

    def modify_pending_order_payment(self, order_id: str, payment_method_id: str) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if "pending" not in (order.external_status or ""):
            raise Tau2Error("Non-pending order cannot be modified")
        methods = self._methods(order)
        if payment_method_id not in methods:
            raise Tau2Error("Payment method not found")
        history = self._payments(order)
        if len(history) != 1 or history[0].kind != "payment":
            raise Tau2Error("There should be exactly one payment for a pending order")
        if history[0].method_ref == payment_method_id:
            raise Tau2Error("The new payment method should be different from the current one")
        new = methods[payment_method_id]
        if new.get("balance") is not None and Decimal(str(new["balance"])) < history[0].amount:
            raise Tau2Error("Insufficient gift card balance to pay for the order")
        self._act(
            order,
            ActionName.CHANGE_PAYMENT,
            {"order_number": order_id, "payment_method_id": payment_method_id},
        )
        return self.order_record(order_id)

    def modify_pending_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if order.external_status != "pending":
            raise Tau2Error("Non-pending order cannot be modified")
        items = self._items(order)
        for item_id in item_ids:
            if item_ids.count(item_id) > sum(i.sku == item_id for i in items):
                raise Tau2Error(f"{item_id} not found")
        if len(item_ids) != len(new_item_ids):
            raise Tau2Error("The number of items to be exchanged should match")
        diff = Decimal("0")
        for old_id, new_id in zip(item_ids, new_item_ids, strict=True):
            if old_id == new_id:
                raise Tau2Error("The new item id should be different from the old item id")
            old = next(i for i in items if i.sku == old_id)
            variant = self._variant_of(old, new_id)
            if not variant.available:
                raise Tau2Error(f"New item {new_id} not found or available")
            diff += variant.price - old.unit_price
        methods = self._methods(order)
        if payment_method_id not in methods:
            raise Tau2Error("Payment method not found")
        balance = methods[payment_method_id].get("balance")
        if balance is not None and Decimal(str(balance)) < diff:
            raise Tau2Error("Insufficient gift card balance to pay for the new item")
        changes = [
            {"line_id": line.id, "new_variant_id": new_id}
            for line, new_id in zip(self._lines_for(items, item_ids), new_item_ids, strict=True)
        ]
        self._act(
            order,
            ActionName.CHANGE_ITEMS,
            {"order_number": order_id, "changes": changes, "payment_method_id": payment_method_id},
        )
        if diff == 0:
            # The benchmark records even a zero difference as a refund of 0.0; the shop records no money
            # movement, so the replay notes the benchmark's entry for the record.
            self._zero_refund(order, payment_method_id)
        return self.order_record(order_id)

    def return_delivered_order_items(
        self, order_id: str, item_ids: list[str], payment_method_id: str
    ) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if order.external_status != "delivered":
            raise Tau2Error("Non-delivered order cannot be returned")
        methods = self._methods(order)
        if payment_method_id not in methods:
            raise Tau2Error("Payment method not found")
        history = self._payments(order)
        is_gift = methods[payment_method_id].get("source") == "gift_card"
        if not is_gift and (not history or history[0].method_ref != payment_method_id):
            raise Tau2Error("Payment method should be the original payment method")
        items = self._items(order)
        for item_id in item_ids:
            if item_ids.count(item_id) > sum(i.sku == item_id for i in items):
                raise Tau2Error("Some item not found")
        lines = [{"line_id": line.id, "quantity": 1} for line in self._lines_for(items, item_ids)]
        self._act(
            order,
            ActionName.START_RETURN,
            {"order_number": order_id, "lines": lines, "refund_method_id": payment_method_id},
        )
        return self.order_record(order_id)

    def exchange_delivered_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str], payment_method_id: str
    ) -> dict[str, Any]:
        order = self._order(order_id, write=True)
        if order.external_status != "delivered":
            raise Tau2Error("Non-delivered order cannot be exchanged")
        items = self._items(order)
        for item_id in item_ids:
            if item_ids.count(item_id) > sum(i.sku == item_id for i in items):
                raise Tau2Error(f"Number of {item_id} not found.")
        if len(item_ids) != len(new_item_ids):
            raise Tau2Error("The number of items to be exchanged should match.")
        diff = Decimal("0")
        for old_id, new_id in zip(item_ids, new_item_ids, strict=True):
            old = next(i for i in items if i.sku == old_id)
            variant = self._variant_of(old, new_id)
            if not variant.available:
                raise Tau2Error(f"New item {new_id} not found or available")
            diff += variant.price - old.unit_price
        methods = self._methods(order)
        if payment_method_id not in methods:
            raise Tau2Error("Payment method not found")
        balance = methods[payment_method_id].get("balance")
        if balance is not None and Decimal(str(balance)) < diff:
            raise Tau2Error("Insufficient gift card balance to pay for the price difference")
        lines = [
            {"line_id": line.id, "quantity": 1, "exchange_variant_id": new_id}
            for line, new_id in zip(self._lines_for(items, item_ids), new_item_ids, strict=True)
        ]
        self._act(
            order,
            ActionName.START_EXCHANGE,
            {"order_number": order_id, "lines": lines, "payment_method_id": payment_method_id},
        )
        return self.order_record(order_id)

    # --- helpers -------------------------------------------------------------------------------------
    def _authenticate(self, user_id: str) -> str:
        self.user_id = self.user_id or user_id
        return user_id

    def _policy_user(self, user_id: str) -> None:
        """One customer per conversation: the first one identified (or acted for) is the only one."""
        if self.user_id is None:
            self.user_id = user_id
        elif self.user_id != user_id:
            raise PolicyRefusal(
                f"this conversation is with user {self.user_id}; requests about another user are refused"
            )

    def _act(self, order: DemoOrder, name: ActionName, args: dict[str, Any]) -> None:
        owner = self._owner(order)
        self._policy_user(owner)
        ctx = ActionContext(
            session=self.session,
            workspace_id=self.workspace_id,
            connector=self.shop,
            by_ai=True,
            scope=Scope(shop_customer_ref=owner),
            confirmed=True,
            now=lambda: TAU2_EPOCH,
        )
        outcome = run_action(ctx, name, args)
        self.calls.extend(ctx.calls)
        if outcome.status != ActionStatus.DONE:
            raise PolicyRefusal(outcome.en or outcome.check.en or outcome.check.code)
        self.touched_orders.add(order.number)
        self.touched_users.add(owner)

    def _order(self, order_id: str, *, write: bool = False) -> DemoOrder:
        order = self.shop.order_row(order_id) if isinstance(order_id, str) else None
        if order is None or order.number != order_id:
            raise Tau2Error("Order not found")
        if write:
            self._policy_user(self._owner(order))
        return order

    def _customer(self, user_id: str) -> DemoCustomer:
        customer = self.session.scalars(
            select(DemoCustomer).where(
                DemoCustomer.workspace_id == self.workspace_id, DemoCustomer.external_ref == user_id
            )
        ).first()
        if customer is None:
            raise Tau2Error("User not found")
        return customer

    def _owner(self, order: DemoOrder) -> str:
        customer = self.shop.customer_of(order)
        if customer is None:
            raise Tau2Error("User not found")
        return customer.external_ref

    def _methods(self, order: DemoOrder) -> dict[str, dict[str, Any]]:
        customer = self.shop.customer_of(order)
        if customer is None:
            raise Tau2Error("User not found")
        return {m["id"]: m for m in customer.payment_methods}

    def _payments(self, order: DemoOrder) -> list[DemoPayment]:
        return list(
            self.session.scalars(
                select(DemoPayment).where(DemoPayment.order_id == order.id).order_by(DemoPayment.position)
            )
        )

    def _items(self, order: DemoOrder) -> list[DemoOrderItem]:
        return self.shop.items_of(order)

    @staticmethod
    def _lines_for(items: list[DemoOrderItem], item_ids: list[str]) -> list[DemoOrderItem]:
        """Each named item id → the next order line carrying it (duplicates are separate lines)."""
        used: set[str] = set()
        lines = []
        for item_id in item_ids:
            line = next(i for i in items if i.sku == item_id and i.id not in used)
            used.add(line.id)
            lines.append(line)
        return lines

    def _variant_of(self, line: DemoOrderItem, new_id: str) -> DemoVariant:
        variant = self.session.scalars(
            select(DemoVariant).where(
                DemoVariant.product_id == line.product_id, DemoVariant.external_ref == new_id
            )
        ).first()
        if variant is None:
            raise Tau2Error("Variant not found")
        return variant

    def _zero_refund(self, order: DemoOrder, method_id: str) -> None:
        from sprawa.commerce.demo.wallet import Ledger, Method

        method = next(m for m in self._methods(order).values() if m["id"] == method_id)
        Ledger(self.session, order).add(
            "refund",
            Method(method["kind"], method_id),
            Decimal("0.00"),
            "completed",  # type: ignore[arg-type]
        )
        self.session.flush()

    @staticmethod
    def _address(address1: str, address2: str, city: str, state: str, country: str, zip: str) -> _Address:  # noqa: A002
        try:
            return _Address(
                address1=address1, address2=address2, city=city, state=state, country=country, zip=zip
            )
        except ValidationError as exc:
            raise Tau2Error(str(exc)) from exc

    @staticmethod
    def _variant(v: DemoVariant) -> dict[str, Any]:
        return {
            "item_id": v.external_ref,
            "options": dict(v.options),
            "available": bool(v.available),
            "price": _money(v.price),
        }

    # --- records in db.json's shape, read back from the shop tables ------------------------------------
    def user_record(self, user_id: str) -> dict[str, Any]:
        customer = self._customer(user_id)
        base = self.base["users"][user_id]
        saved = {m["id"]: m for m in customer.payment_methods}
        methods = {}
        for method_id, original in base["payment_methods"].items():
            entry = {k: v for k, v in original.items()}
            if "balance" in original:
                entry["balance"] = float(saved[method_id]["balance"])
            methods[method_id] = entry
        a = customer.address
        return {
            "user_id": customer.external_ref,
            "name": {"first_name": customer.first_name, "last_name": customer.last_name},
            "address": {
                "address1": a["street"],
                "address2": a.get("line2", ""),
                "city": a["city"],
                "country": a["country"],
                "state": a.get("region", ""),
                "zip": a["postcode"],
            },
            "email": base["email"],
            "payment_methods": methods,
            "orders": list(base["orders"]),
        }

    def order_record(self, order_id: str) -> dict[str, Any]:
        order = self._order(order_id)
        base = self.base["orders"][order_id]
        items = self._items(order)
        products = dict(
            self.session.execute(
                select(DemoProduct.id, DemoProduct.external_ref).where(
                    DemoProduct.id.in_({i.product_id for i in items})
                )
            ).all()
        )
        a = order.shipping_address
        record: dict[str, Any] = {
            "order_id": order.number,
            "user_id": self._owner(order),
            "address": {
                "address1": a["street"],
                "address2": a.get("line2", ""),
                "city": a["city"],
                "country": a["country"],
                "state": a.get("region", ""),
                "zip": a["postcode"],
            },
            "items": [
                {
                    "name": i.name,
                    "product_id": products.get(i.product_id or "", ""),
                    "item_id": i.sku,
                    "price": _money(i.unit_price),
                    "options": dict(i.options),
                }
                for i in items
            ],
            "status": order.external_status,
            "fulfillments": copy.deepcopy(base["fulfillments"]),
            "payment_history": [
                {"transaction_type": p.kind, "amount": _money(p.amount), "payment_method_id": p.method_ref}
                for p in self._payments(order)
            ],
        }
        record.update(dict.fromkeys(OPTIONAL_ORDER_FIELDS))
        record.update({k: v for k, v in (order.extra or {}).items() if k in OPTIONAL_ORDER_FIELDS})
        record["cancel_reason"] = order.cancel_reason
        self._return_fields(order, items, record)
        return record

    def _return_fields(self, order: DemoOrder, items: list[DemoOrderItem], record: dict[str, Any]) -> None:
        request = self.session.scalars(
            select(DemoReturn).where(DemoReturn.order_id == order.id).order_by(DemoReturn.created_at.desc())
        ).first()
        if request is None:
            return
        sku = {i.id: i.sku for i in items}
        old = sorted(
            sku[line["line_id"]] for line in request.lines for _ in range(int(line.get("quantity", 1)))
        )
        if request.kind == "exchange":
            record["exchange_items"] = old
            record["exchange_new_items"] = sorted(line["exchange_variant_id"] for line in request.lines)
            record["exchange_payment_method_id"] = request.refund_method_ref
            record["exchange_price_difference"] = _money(request.price_difference)
        else:
            record["return_items"] = old
            record["return_payment_method_id"] = request.refund_method_ref

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        """Run one tool call: (ok, result or error text)."""
        if name not in TOOL_NAMES:
            return False, f"Tool '{name}' not found."
        try:
            return True, getattr(self, name)(**arguments)
        except Tau2Error as exc:
            return False, str(exc)
        except PolicyRefusal as exc:
            return False, f"Policy: {exc}"
        except TypeError as exc:
            return False, str(exc).replace(f"{type(self).__name__}.", "RetailTools.")


# ---------------------------------------------------------------------------------------------- replay


@dataclass
class Replay:
    """A loaded τ² shop in a scratch database; ``run`` applies one task's actions and rolls them back."""

    factory: sessionmaker[Session]
    workspace_id: str
    base: dict[str, Any]
    _session: Session | None = field(default=None, repr=False)

    @classmethod
    @contextmanager
    def open(cls, db_path: Path) -> Iterator["Replay"]:
        from sprawa.db import Base, make_engine

        base = json.loads(db_path.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix="sprawa-tau2-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'tau2.db'}")
            import sprawa.models  # noqa: F401 - the whole schema

            Base.metadata.create_all(engine)
            factory = sessionmaker(engine, expire_on_commit=False)
            with factory.begin() as session:
                workspace = Workspace(
                    slug="tau2-replay",
                    name="τ²-bench retail",
                    timezone="America/New_York",
                    languages=["en"],
                    default_language="en",
                    settings={"commerce": {"kind": "demo", "rules": TAU2_RULES}},
                )
                session.add(workspace)
                session.flush()
                from sprawa.seed import TAU2_POLICIES

                for kind, raw in TAU2_POLICIES.items():
                    data = parse_policy(kind, raw).model_dump(mode="json")
                    session.add(
                        Policy(workspace_id=workspace.id, kind=PolicyKind(kind), version=1, data=data)
                    )
                load_tau2(session, workspace.id, db_path)
                workspace_id = workspace.id
            try:
                yield cls(factory, workspace_id, base)
            finally:
                engine.dispose()

    def run(self, task: dict[str, Any]) -> dict[str, Any]:
        with self.factory() as session:
            session.begin()
            try:
                tools = RetailTools(session, self.workspace_id, self.base)
                actions = []
                for action in task["evaluation_criteria"].get("actions") or []:
                    ok, result = tools.call(action["name"], dict(action.get("arguments") or {}))
                    actions.append({"name": action["name"], "ok": ok, "result": result})
                changed = self._changed(tools)
            finally:
                session.rollback()
        return {"id": task["id"], "actions": actions, "changed": changed}

    def _changed(self, tools: RetailTools) -> list[dict[str, Any]]:
        changed = []
        for user_id in sorted(tools.touched_users, key=list(self.base["users"]).index):
            after = tools.user_record(user_id)
            if not same(after, self.base["users"][user_id]):
                changed.append({"table": "users", "id": user_id, "after": after})
        for order_id in sorted(tools.touched_orders, key=list(self.base["orders"]).index):
            after = tools.order_record(order_id)
            if not same(after, self.base["orders"][order_id]):
                changed.append({"table": "orders", "id": order_id, "after": after})
        return changed


def same(a: Any, b: Any) -> bool:
    """Equal as the benchmark compares records: money to the cent, absent optional fields = null."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        return all(same(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(round(float(a), 2), round(float(b), 2), abs_tol=0.005)
    return a == b


def replay(
    tasks: list[dict[str, Any]], db_path: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    with Replay.open(db_path) as r:
        results = []
        for n, task in enumerate(tasks, start=1):
            results.append(r.run(task))
            if progress:
                progress(n)
    return {"tasks": results}


def replay_summary(
    tasks_path: Path | None = None, db_path: Path | None = None, limit: int | None = None
) -> dict[str, Any]:
    """For ``sprawa eval``: replay the gold actions and compare with an independent reading of TOOLS-SPEC.

    A task matches when every action's ok/result and every changed record equal the reference model's.
    """
    from sprawa.ai.tau2_reference import reference_run
    from sprawa.commerce.tau2 import default_db_path

    db_path = db_path or default_db_path()
    if db_path is None:
        return {"available": False}
    tasks_path = tasks_path or db_path.with_name("tasks.json")
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))[:limit]
    base = json.loads(db_path.read_text(encoding="utf-8"))
    results = replay(tasks, db_path)["tasks"]
    mismatched = [r["id"] for r, t in zip(results, tasks, strict=True) if not same(r, reference_run(base, t))]
    return {
        "available": True,
        "tasks": len(tasks),
        "matching": len(tasks) - len(mismatched),
        "mismatched": mismatched,
        "actions": sum(len(r["actions"]) for r in results),
        "failed_actions": sum(not a["ok"] for r in results for a in r["actions"]),
    }


def add_tau2_command(sub: Any) -> None:
    parser = sub.add_parser("tau2", help="τ²-bench retail conformance")
    inner = parser.add_subparsers(dest="tau2_command", required=True)
    run = inner.add_parser("replay", help="apply each task's gold actions to a fresh copy of db.json")
    run.add_argument("--tasks", type=Path, required=True)
    run.add_argument("--db", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.set_defaults(handler=_cmd_replay)


def _cmd_replay(settings: Any, args: Any) -> None:
    import sys
    import time

    for path in (args.tasks, args.db):
        if not path.is_file():
            raise SystemExit(f"file not found: {path}")
    try:
        tasks = json.loads(args.tasks.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{args.tasks} is not valid JSON: {exc}") from exc
    if isinstance(tasks, dict) and "tasks" in tasks:
        tasks = tasks["tasks"]
    if not isinstance(tasks, list):
        raise SystemExit(f"{args.tasks} must hold a list of tasks")
    started = time.perf_counter()
    result = replay(tasks, args.db)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = sum(not a["ok"] for t in result["tasks"] for a in t["actions"])
    changed = sum(len(t["changed"]) for t in result["tasks"])
    print(
        f"{len(tasks)} tasks replayed in {time.perf_counter() - started:.1f} s: "
        f"{sum(len(t['actions']) for t in result['tasks'])} actions ({failed} refused), "
        f"{changed} changed records → {args.out}",
        file=sys.stderr,
    )
