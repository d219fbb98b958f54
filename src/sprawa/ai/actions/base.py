"""Typed actions, their arguments and outcomes.

Every action is checked against the workspace policy first; the check says allowed, denied (with a
reason for the customer) or needs a person's approval. Write actions run only after the customer's
explicit yes (``confirmed``); without it the layer returns a preview for the confirmation question.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ActionName(StrEnum):
    LOOKUP_CUSTOMER = "lookup_customer"
    LOOKUP_ORDER = "lookup_order"
    LOOKUP_PRODUCT = "lookup_product"
    LOOKUP_SHIPMENT = "lookup_shipment"
    CANCEL_ORDER = "cancel_order"
    CHANGE_ADDRESS = "change_address"
    CHANGE_ITEMS = "change_items"
    CHANGE_PAYMENT = "change_payment"
    START_RETURN = "start_return"
    START_EXCHANGE = "start_exchange"
    REGISTER_COMPLAINT = "register_complaint"
    ISSUE_COMPENSATION = "issue_compensation"
    HAND_OFF = "hand_off"


#: Actions that change something at the shop or for the customer: they need an explicit yes.
WRITE_ACTIONS = frozenset(
    {
        ActionName.CANCEL_ORDER,
        ActionName.CHANGE_ADDRESS,
        ActionName.CHANGE_ITEMS,
        ActionName.CHANGE_PAYMENT,
        ActionName.START_RETURN,
        ActionName.START_EXCHANGE,
        ActionName.ISSUE_COMPENSATION,
    }
)


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True)
class Check:
    """A policy verdict with a stable code and its reason in Polish and English."""

    verdict: Verdict
    code: str
    pl: str = ""
    en: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def allowed(cls, **data: Any) -> "Check":
        return cls(Verdict.ALLOWED, "ok", data=data)

    @classmethod
    def denied(cls, code: str, pl: str, en: str, **data: Any) -> "Check":
        return cls(Verdict.DENIED, code, pl, en, data)

    @classmethod
    def approval(cls, code: str, pl: str, en: str, **data: Any) -> "Check":
        return cls(Verdict.NEEDS_APPROVAL, code, pl, en, data)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": str(self.verdict), "code": self.code, "reason": self.en, "data": self.data}


class ActionStatus(StrEnum):
    DONE = "done"  # executed (or a lookup answered)
    PREVIEW = "preview"  # allowed, waiting for the customer's yes
    DENIED = "denied"  # refused by policy or by the shop
    NEEDS_APPROVAL = "needs_approval"  # a person has to decide


@dataclass
class Outcome:
    """What an action did; ``data`` holds only facts from the shop or the policy."""

    action: ActionName
    status: ActionStatus
    check: Check
    data: dict[str, Any] = field(default_factory=dict)
    pl: str = ""
    en: str = ""

    @property
    def ok(self) -> bool:
        return self.status == ActionStatus.DONE

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": str(self.action),
            "status": str(self.status),
            "check": self.check.as_dict(),
            "data": self.data,
            "message_pl": self.pl,
            "message_en": self.en,
        }


# ------------------------------------------------------------------------------------------- arguments


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupCustomerArgs(Args):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254)] | None = (
        None
    )
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None


class OrderArgs(Args):
    order_number: Ref


class LookupProductArgs(Args):
    query: Text = ""
    product_id: Ref | None = None


class LookupShipmentArgs(Args):
    tracking_number: Ref | None = None
    order_number: Ref | None = None


class CancelArgs(OrderArgs):
    reason: Text = ""


class ChangeAddressArgs(OrderArgs):
    street: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = "PL"
    line2: Annotated[str, StringConstraints(max_length=200)] = ""
    region: Annotated[str, StringConstraints(max_length=100)] = ""
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    pickup_point: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None


class ItemChangeArgs(Args):
    line_id: Ref
    new_variant_id: Ref | None = None
    new_quantity: int | None = Field(None, ge=0, le=99)


class ChangeItemsArgs(OrderArgs):
    changes: Annotated[list[ItemChangeArgs], Field(min_length=1, max_length=50)]
    payment_method_id: Ref | None = None


class ChangePaymentArgs(OrderArgs):
    payment_method_id: Ref


class ReturnLineArgs(Args):
    line_id: Ref
    quantity: int = Field(1, ge=1, le=99)
    exchange_variant_id: Ref | None = None


class StartReturnArgs(OrderArgs):
    """``lines`` empty means every item still returnable."""

    lines: Annotated[list[ReturnLineArgs], Field(max_length=50)] = Field(default_factory=list)
    reason: Text = ""
    refund_method_id: Ref | None = None


class StartExchangeArgs(OrderArgs):
    lines: Annotated[list[ReturnLineArgs], Field(min_length=1, max_length=50)]
    payment_method_id: Ref | None = None


Remedy = Literal["repair", "replacement", "price_reduction", "withdrawal", "unknown"]


class RegisterComplaintArgs(OrderArgs):
    item: Text = ""
    description: Text = ""
    photos: int = Field(0, ge=0, le=50)
    remedy: Remedy = "unknown"


class IssueCompensationArgs(Args):
    kind: Literal["free_shipping_code", "discount_code", "partial_refund"]
    amount: Decimal = Field(ge=0, le=10000, max_digits=7, decimal_places=2)
    reason: Text = ""


class HandOffArgs(Args):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    summary: Text = ""


ARGS: dict[ActionName, type[Args]] = {
    ActionName.LOOKUP_CUSTOMER: LookupCustomerArgs,
    ActionName.LOOKUP_ORDER: OrderArgs,
    ActionName.LOOKUP_PRODUCT: LookupProductArgs,
    ActionName.LOOKUP_SHIPMENT: LookupShipmentArgs,
    ActionName.CANCEL_ORDER: CancelArgs,
    ActionName.CHANGE_ADDRESS: ChangeAddressArgs,
    ActionName.CHANGE_ITEMS: ChangeItemsArgs,
    ActionName.CHANGE_PAYMENT: ChangePaymentArgs,
    ActionName.START_RETURN: StartReturnArgs,
    ActionName.START_EXCHANGE: StartExchangeArgs,
    ActionName.REGISTER_COMPLAINT: RegisterComplaintArgs,
    ActionName.ISSUE_COMPENSATION: IssueCompensationArgs,
    ActionName.HAND_OFF: HandOffArgs,
}
