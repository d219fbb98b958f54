"""The settings forms of the shop's policies: fields derived from the typed policy models, form data
read back into the policy's shape, and validation problems told in plain Polish.

The policy models (``workspaces.schemas``) stay the one source of the rules; this module only knows
how each kind of field looks on a page and what a problem means to a shop owner.
"""

import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from sprawa.ai.escalation import DEFAULT_PRIORITY
from sprawa.cases.models import Priority
from sprawa.web.format import ORDER_STATUS_LABELS
from sprawa.workspaces.schemas import EscalationReason, Weekday

FIELD_LABELS = {
    "window_days": "Czas na odstąpienie od umowy (dni, co najmniej 14)",
    "return_shipping_paid_by": "Koszt odesłania zwrotu pokrywa",
    "ai_may_start_return": "AI może sama rozpocząć zwrot",
    "notes": "Uwagi dla konsultantów i AI",
    "return_methods": "Sposoby odesłania towaru",
    "paczkomat_return_code": "Kod zwrotu do Paczkomatu",
    "courier_label_url": "Adres strony z etykietą kurierską",
    "return_address": "Adres zwrotów",
    "store_address": "Adres sklepu stacjonarnego",
    "withdrawal_info_given": "Klienci zostali poinformowani o prawie odstąpienia (inaczej +12 miesięcy)",
    "business_buyers_may_withdraw": "Firmy mogą odstąpić od umowy jak konsumenci",
    "withdrawal_info_sent_on": "Dzień wysłania informacji o prawie odstąpienia klientom wcześniejszych "
    "zamówień (RRRR-MM-DD, art. 29 §2)",
    "cheapest_delivery_price": "Najtańsza zwykła dostawa w sklepie (zł; zwracana przy zwrocie całego "
    "zamówienia)",
    "allowed_order_states": "Dozwolone w stanach zamówienia",
    "needs_human_approval": "Wymaga zgody konsultanta",
    "allowed_changes": "Dozwolone zmiany",
    "methods": "Sposoby zwrotu pieniędzy",
    "refund_within_days": "Zwrot pieniędzy w ciągu (dni, najwyżej 14)",
    "max_amount_pln": "Najwyższa kwota rekompensaty bez zgody człowieka (zł)",
    "kinds": "Rodzaje rekompensat",
    "max_per_customer_per_month": "Najwyżej rekompensat na klienta w miesiącu",
    "first_response_minutes": "Pierwsza odpowiedź w ciągu (minut)",
    "resolution_hours": "Rozwiązanie w ciągu (godzin)",
    "business_hours_only": "Licz czas tylko w godzinach pracy",
    "address_form": "Forma zwracania się do klienta",
    "formality": "Styl",
    "emoji": "Emoji w odpowiedziach",
    "signature": "Podpis",
    "instructions": "Dodatkowe wskazówki dla AI",
}
OPTION_LABELS = {
    "customer": "klient",
    "shop": "sklep",
    "paczkomat": "Paczkomat InPost",
    "courier": "kurier",
    "in_store": "w sklepie stacjonarnym",
    **ORDER_STATUS_LABELS,
    "address": "adres dostawy",
    "items": "produkty",
    "payment_method": "metoda płatności",
    "original_payment": "ta sama metoda płatności",
    "bank_transfer": "przelew",
    "gift_card": "karta podarunkowa",
    "store_credit": "saldo w sklepie",
    "free_shipping_code": "kod na darmową dostawę",
    "discount_code": "kod rabatowy",
    "partial_refund": "częściowy zwrot pieniędzy",
    "pan_pani": "Pan/Pani",
    "ty": "na „ty”",
    "formal": "oficjalny",
    "neutral": "neutralny",
    "casual": "swobodny",
}
# English for the option labels and field labels lives in the workspace catalog (i18n/en).


@dataclass(frozen=True)
class FormField:
    """One input of a policy form."""

    name: str
    label: str
    widget: str  # checkbox | number | select | checks | text | textarea
    options: list[tuple[str, str]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    step: str = "1"
    max_length: int | None = None
    optional: bool = False  # ``X | None``: an empty input saves None


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type of an annotation and the constraints found on the way."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        metadata.extend(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    return annotation, metadata


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    return None


def form_fields(model: type[BaseModel]) -> list[FormField]:
    """The model's fields as form inputs (a field of a kind the forms do not know is left out)."""
    fields = []
    for name, info in model.model_fields.items():
        annotation, metadata = _unwrap(info.annotation)
        metadata += info.metadata
        optional = type(None) in typing.get_args(annotation) and len(typing.get_args(annotation)) == 2
        if optional:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        bounds = {type(m): m for m in metadata}
        label = FIELD_LABELS.get(name, name)
        origin = typing.get_origin(annotation)
        if annotation is bool:
            fields.append(FormField(name, label, "checkbox"))
        elif annotation in (int, float, Decimal):
            fields.append(
                FormField(
                    name,
                    label,
                    "number",
                    minimum=getattr(bounds.get(Ge), "ge", None),
                    maximum=getattr(bounds.get(Le), "le", None),
                    step="1" if annotation is int else "0.01",
                    optional=optional,
                )
            )
        elif (choices := _choices(annotation)) is not None:
            fields.append(FormField(name, label, "select", [(c, OPTION_LABELS.get(c, c)) for c in choices]))
        elif origin is list and (choices := _choices(_unwrap(typing.get_args(annotation)[0])[0])):
            fields.append(FormField(name, label, "checks", [(c, OPTION_LABELS.get(c, c)) for c in choices]))
        elif annotation is date and optional:
            fields.append(FormField(name, label, "text", max_length=10, optional=True))
        elif annotation is str:
            longest = getattr(bounds.get(MaxLen), "max_length", None)
            widget = "textarea" if longest and longest > 500 else "text"
            fields.append(FormField(name, label, widget, max_length=longest))
    return fields


def read_fields(fields: list[FormField], form: FormData) -> dict[str, Any]:
    """Form data in the policy's shape; the model parses and checks the values."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.widget == "checkbox":
            data[f.name] = f.name in form
        elif f.widget == "checks":
            data[f.name] = [str(v) for v in form.getlist(f.name)]
        elif f.widget == "number":
            data[f.name] = str(form.get(f.name, "")).strip().replace(",", ".")
        else:
            data[f.name] = str(form.get(f.name, "")).strip()
        if f.optional and data[f.name] == "":
            data[f.name] = None
    return data


# --- business hours --------------------------------------------------------------------------------


def read_hours(form: FormData) -> dict[str, Any]:
    """Weekday intervals from the ``<day>_start``/``<day>_end`` rows, holidays from ``closed_date``."""
    days = {}
    for day in Weekday:
        starts, ends = form.getlist(f"{day.value}_start"), form.getlist(f"{day.value}_end")
        rows = [{"start": s, "end": e} for s, e in zip(starts, ends, strict=False) if s or e]
        if rows:
            days[day.value] = rows
    return {
        "timezone": str(form.get("timezone", "")).strip(),
        "days": days,
        "closed_dates": [d for d in (str(v).strip() for v in form.getlist("closed_date")) if d],
    }


# --- escalation rules ------------------------------------------------------------------------------


def default_priority(reason: EscalationReason) -> Priority:
    return DEFAULT_PRIORITY.get(reason, Priority.NORMAL)


def read_escalation(form: FormData) -> dict[str, Any]:
    """One rule per reason that differs from the default (on, team by skills, the reason's priority)."""
    rules = []
    for reason in EscalationReason:
        rule = {
            "reason": reason.value,
            "enabled": f"enabled_{reason.value}" in form,
            "team_id": str(form.get(f"team_{reason.value}", "")) or None,
            "priority": str(form.get(f"priority_{reason.value}", "")) or default_priority(reason).value,
        }
        if not rule["enabled"] or rule["team_id"] or rule["priority"] != default_priority(reason):
            rules.append(rule)
    return {
        "rules": rules,
        "frustration_threshold": str(form.get("frustration_threshold", "")).strip().replace(",", "."),
        "ai_turn_limit": str(form.get("ai_turn_limit", "")).strip(),
    }


# --- problems in Polish ------------------------------------------------------------------------------

VALUE_ERRORS = {
    "start must be before end": "Godzina otwarcia musi być wcześniejsza niż godzina zamknięcia.",
    "unknown time zone": "Nieznana strefa czasowa — wpisz np. Europe/Warsaw.",
    "overlap": "Godziny w tym dniu nakładają się.",
    "original payment": "Zwrot na tę samą metodę płatności musi zostać dostępny (art. 32 ustawy o prawach "
    "konsumenta).",
    "one rule per reason": "Jedna reguła na powód.",
}


Problem = tuple[str, dict[str, Any]]  # Polish text with {placeholders} (translated on the page), values


def polish_problem(error: Any) -> Problem:
    """One pydantic error as a sentence a shop owner understands."""
    kind, ctx, message = error.get("type", ""), error.get("ctx") or {}, str(error.get("msg", ""))
    if kind == "greater_than_equal":
        return "Wartość musi wynosić co najmniej {n}.", {"n": ctx.get("ge")}
    if kind == "less_than_equal":
        return "Wartość może wynosić najwyżej {n}.", {"n": ctx.get("le")}
    if kind in ("int_parsing", "float_parsing", "decimal_parsing", "int_from_float", "decimal_type"):
        return "Wpisz liczbę.", {}
    if kind in ("decimal_max_places", "decimal_max_digits"):
        return "Wpisz kwotę z najwyżej dwoma miejscami po przecinku.", {}
    if kind in ("time_parsing", "time_type"):
        return "Podaj godzinę w formacie GG:MM.", {}
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return "Podaj datę w formacie RRRR-MM-DD.", {}
    if kind == "too_short":
        return "Wybierz co najmniej jedną pozycję.", {}
    if kind == "too_long":
        return "Za dużo pozycji — najwyżej {n}.", {"n": ctx.get("max_length")}
    if kind == "string_too_long":
        return "Najwyżej {n} znaków.", {"n": ctx.get("max_length")}
    if kind in ("literal_error", "enum"):
        return "Wybierz jedną z podanych możliwości.", {}
    for needle, polish in VALUE_ERRORS.items():
        if needle in message:
            return polish, {}
    return "Nieprawidłowa wartość.", {}


def problems(exc: ValidationError) -> dict[str, Problem]:
    """The first problem of each field, keyed by the field's path (``window_days``, ``days.mon``)."""
    found: dict[str, Problem] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        key = ".".join(loc[:2]) if loc[:1] in (["days"], ["closed_dates"], ["rules"]) else ".".join(loc[:1])
        if loc == ["days"]:  # overlapping intervals are reported for the whole week: name the day
            day = next((d.value for d in Weekday if f"of {d.value} " in str(error.get("msg", ""))), "")
            key = f"days.{day}" if day else "days"
        found.setdefault(key or "_", polish_problem(error))
    return found
