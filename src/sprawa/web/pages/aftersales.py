"""After-sales pages: the public self-service page (``/zwroty/{shop}``, ``/reklamacje/{shop}``) and the
agents' queues, complaint decision form, case fragment and report.

The public page needs no login: step 1 checks the order number with the e-mail or the delivery postcode and
hands back a signed, short-lived token naming the order; step 2 carries that token with the items, the
description and the photos. Agents' writes go from ``static/aftersales.js`` to the JSON API.
"""

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from sprawa.aftersales.actions import deadlines
from sprawa.aftersales.actions.eligibility import INACTIVE_RETURNS, LineRequest
from sprawa.aftersales.actions.intake import (
    ALLOWED_TYPES,
    MAX_FILE_BYTES,
    MAX_FILES,
    ORDER_NOT_FOUND,
    Upload,
    check_uploads,
    file_request,
    find_customer_order,
)
from sprawa.aftersales.actions.notify import answer_templates
from sprawa.aftersales.models import Complaint, IntakeSource, Remedy, Return, ReturnItem, ReturnMethod
from sprawa.aftersales.queries import (
    access_complaint,
    case_aftersales,
    complaints_out,
    complaints_queue,
    report,
    returns_queue,
)
from sprawa.aftersales.service import do_register_complaint, do_start_return, usable_methods
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, CaseOrder
from sprawa.cases.queries import access_case
from sprawa.commerce.base import CommerceConnector
from sprawa.commerce.models import Order, OrderItem
from sprawa.commerce.service import connector_for
from sprawa.deps import DbSession, RuntimeDep
from sprawa.platform.errors import AppError
from sprawa.runtime import Runtime
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.render import LANG_COOKIE, CurrentPageUser, render, request_language
from sprawa.web.translate import translate
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import ReturnsPolicy

router = APIRouter(include_in_schema=False)
Slug = Annotated[str, Path(min_length=1, max_length=64)]
ItemId = Annotated[str, Path(min_length=1, max_length=64)]
Kind = Literal["return", "complaint"]
TOKEN_MAX_AGE = 3600
TOKEN_SALT = "aftersales-self-service"  # noqa: S105 - a namespace, not a secret
PATHS = {"return": "/zwroty", "complaint": "/reklamacje"}
#: The customer-facing pages speak the languages of the notifications (the agent UI: Polish and English).
PUBLIC_LANGUAGES = {"pl": "Polski", "en": "English", "uk": "Українська", "de": "Deutsch"}
REMEDIES = [
    (Remedy.REPLACEMENT, "Wymiana na nowy"),
    (Remedy.REPAIR, "Naprawa"),
    (Remedy.PRICE_REDUCTION, "Obniżenie ceny"),
    (Remedy.WITHDRAWAL, "Odstąpienie od umowy (zwrot pieniędzy)"),
]
#: How statuses, decisions and proposals are named on the agents' pages (Polish; English in the catalog).
LABELS = {
    "requested": "do decyzji",
    "approved": "zatwierdzony",
    "awaiting_goods": "czeka na paczkę",
    "received": "towar dotarł",
    "refunded": "pieniądze zwrócone",
    "rejected": "odrzucony",
    "cancelled": "anulowany",
    "answered": "odpowiedziano",
    "resolved": "zakończona",
    "withdrawn": "wycofana",
    "accepted": "uznać",
    "ask_for_evidence": "poprosić o zdjęcia",
    "replacement": "wymiana",
    "repair": "naprawa",
    "price_reduction": "obniżenie ceny",
    "withdrawal": "zwrot pieniędzy",
    "refund": "zwrot pieniędzy",
    "blik": "BLIK",
    "bank_transfer": "przelew",
    "card": "karta",
    "cod": "przelew (płatność przy odbiorze)",
    "paypo": "PayPo",
    "paypal": "PayPal",
    "gift_card": "karta podarunkowa",
}
COMPLAINT_LABELS = LABELS | {"received": "czeka na odpowiedź", "rejected": "nie uznać"}
COMPLAINT_OUTCOMES = {"accepted": "uznane", "rejected": "nieuznane"}

METHODS = {
    ReturnMethod.PACZKOMAT: "Paczkomat InPost (kod zwrotu, bez drukowania)",
    ReturnMethod.COURIER: "Kurier (etykieta do pobrania)",
    ReturnMethod.IN_STORE: "W sklepie stacjonarnym",
}


# ----------------------------------------------------------------------------------------- self-service


def _serializer(runtime: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.settings.resolved_secret_key, salt=TOKEN_SALT)


def _workspace(db: Session, slug: str) -> Workspace | None:
    return db.scalar(select(Workspace).where(Workspace.slug == slug))


@dataclass
class Step:
    """What the self-service template shows: which step, the order's lines, errors, the outcome."""

    kind: Kind
    shop: Workspace
    step: str = "identify"  # identify | details | done
    error: str | None = None
    token: str = ""
    order: Order | None = None
    lines: list[dict[str, Any]] | None = None
    methods: list[tuple[str, str]] | None = None
    outcome: dict[str, Any] | None = None
    values: dict[str, str] | None = None


def public_language(request: Request, chosen: str | None = None) -> str:
    """``?lang=`` (the page's switch, kept by its forms), else the UI cookie, else the browser's first
    supported language, else Polish."""
    for lang in (chosen, request.query_params.get("lang")):
        if lang in PUBLIC_LANGUAGES:
            return lang
    if request.cookies.get(LANG_COOKIE) in PUBLIC_LANGUAGES:
        return request_language(request)
    for part in request.headers.get("accept-language", "").split(","):
        lang = part.split(";")[0].strip().lower()[:2]
        if lang in PUBLIC_LANGUAGES:
            return lang
    return "pl"


def _page(request: Request, step: Step, lang: str, status_code: int = 200) -> HTMLResponse:
    context = {
        "t": partial(translate, lang=lang),
        "lang": lang,
        "languages": PUBLIC_LANGUAGES,
        "s": step,
        "path": f"{PATHS[step.kind]}/{step.shop.slug}",
        "remedies": REMEDIES,
        "max_files": MAX_FILES,
        "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        "accept": ",".join(ALLOWED_TYPES) + ",.heic,.heif,.mov",
    }
    return render(request, "aftersales/self_service.html", context, status_code=status_code)


def _order_lines(db: Session, order: Order) -> list[dict[str, Any]]:
    """The order's lines with how many units can still be withdrawn."""
    items = list(db.scalars(select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)))
    taken: dict[str | None, int] = {}
    for item_id, quantity in db.execute(
        select(ReturnItem.order_item_id, ReturnItem.quantity)
        .join(Return, Return.id == ReturnItem.return_id)
        .where(Return.order_id == order.id, Return.status.not_in(INACTIVE_RETURNS))
    ):
        taken[item_id] = taken.get(item_id, 0) + quantity
    return [
        {
            "id": i.id,
            "name": i.name,
            "quantity": i.quantity,
            "unit_price": i.unit_price,
            "left": max(
                0, i.quantity - max(int((i.options or {}).get("returned_quantity", 0)), taken.get(i.id, 0))
            ),
        }
        for i in items
    ]


def _details_step(db: Session, runtime: Runtime, kind: Kind, shop: Workspace, order: Order) -> Step:
    policy = typed_policy(db, shop.id, PolicyKind.RETURNS)
    assert isinstance(policy, ReturnsPolicy)
    return Step(
        kind=kind,
        shop=shop,
        step="details",
        token=_serializer(runtime).dumps({"w": shop.id, "o": order.id}),
        order=order,
        lines=_order_lines(db, order),
        methods=[(m, METHODS[m]) for m in usable_methods(policy)],
    )


def _self_service_get(request: Request, db: Session, kind: Kind, slug: str) -> HTMLResponse:
    shop = _workspace(db, slug)
    if shop is None:
        return render(request, "aftersales/unknown_shop.html", {}, status_code=404)
    return _page(request, Step(kind=kind, shop=shop), public_language(request))


@router.get("/zwroty/{slug}", response_class=HTMLResponse)
def returns_self_service(slug: Slug, request: Request, db: DbSession) -> HTMLResponse:
    return _self_service_get(request, db, "return", slug)


@router.get("/reklamacje/{slug}", response_class=HTMLResponse)
def complaints_self_service(slug: Slug, request: Request, db: DbSession) -> HTMLResponse:
    return _self_service_get(request, db, "complaint", slug)


@router.post("/zwroty/{slug}", response_class=HTMLResponse)
async def returns_self_service_post(slug: Slug, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await _self_service_post(request, runtime, "return", slug)


@router.post("/reklamacje/{slug}", response_class=HTMLResponse)
async def complaints_self_service_post(slug: Slug, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await _self_service_post(request, runtime, "complaint", slug)


async def _self_service_post(request: Request, runtime: Runtime, kind: Kind, slug: str) -> HTMLResponse:
    async with request.form(max_files=MAX_FILES + 1, max_fields=300) as form:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        uploads = []
        for value in form.getlist("photos"):
            if isinstance(value, UploadFile):
                uploads.append(Upload(value.filename or "", await value.read(MAX_FILE_BYTES + 1)))
    lang = public_language(request, fields.get("lang"))
    return await run_in_threadpool(_handle_post, request, runtime, kind, slug, fields, uploads, lang)


def _handle_post(
    request: Request,
    runtime: Runtime,
    kind: Kind,
    slug: str,
    fields: dict[str, str],
    uploads: list[Upload],
    lang: str,
) -> HTMLResponse:
    """One transaction per submission; a problem is shown on the page in the customer's words."""
    with runtime.factory() as db:
        with db.begin():
            shop = _workspace(db, slug)
        if shop is None:
            return render(request, "aftersales/unknown_shop.html", {}, status_code=404)
        try:
            with db.begin():
                if fields.get("step") == "details":
                    step = _submit(db, runtime, kind, shop, fields, uploads, lang)
                else:
                    order = find_customer_order(
                        db,
                        shop,
                        fields.get("number", "")[:64],
                        email=fields.get("email", "")[:254],
                        postcode=fields.get("postcode", "")[:16],
                        connector=_shop_connector(db, runtime, shop),
                    )
                    step = _details_step(db, runtime, kind, shop, order) if order else None
        except AppError as exc:
            error, status = _in_language(exc, lang), exc.status
        else:
            if step is not None:
                return _page(request, step, lang)
            error, status = translate(ORDER_NOT_FOUND, lang), 404
        with db.begin():
            step = _retry_step(db, runtime, kind, shop, fields, error)
        return _page(request, step, lang, status_code=status)


def _shop_connector(db: Session, runtime: Runtime, shop: Workspace) -> CommerceConnector | None:
    """The shop's connector for a fresh read of the order; None when it is not set up (the cache answers)."""
    try:
        return connector_for(db, shop.id, runtime.connector_env())
    except AppError:
        return None


def _in_language(exc: AppError, lang: str) -> str:
    """The customer's message in the page's language (upload errors carry their template and values)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if "template" in details:
        return translate(details["template"], lang, **details["values"])
    return translate(exc.message, lang)


def _token_order(db: Session, runtime: Runtime, shop: Workspace, token: str) -> Order | None:
    try:
        data = _serializer(runtime).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    order = db.get(Order, data.get("o", ""))
    return order if order is not None and data.get("w") == shop.id == order.workspace_id else None


def _retry_step(
    db: Session, runtime: Runtime, kind: Kind, shop: Workspace, fields: dict[str, str], error: str
) -> Step:
    """The same step again with the error and what the customer typed (never their files)."""
    order = (
        _token_order(db, runtime, shop, fields.get("token", "")) if fields.get("step") == "details" else None
    )
    step = _details_step(db, runtime, kind, shop, order) if order else Step(kind=kind, shop=shop)
    step.error = error
    step.values = {k: v for k, v in fields.items() if k not in ("token", "step")}
    return step


class ExpiredForm(AppError):
    status = 400
    code = "form_expired"


def _submit(
    db: Session,
    runtime: Runtime,
    kind: Kind,
    shop: Workspace,
    fields: dict[str, str],
    uploads: list[Upload],
    lang: str,
) -> Step:
    order = _token_order(db, runtime, shop, fields.get("token", ""))
    if order is None:
        raise ExpiredForm("Formularz wygasł — podaj ponownie numer zamówienia i e-mail lub kod pocztowy.")
    lines = {line["id"]: line for line in _order_lines(db, order)}
    system = Principal.system(shop.id)
    if kind == "return":
        wanted = [LineRequest(item_id, n) for item_id in lines if (n := _quantity(fields, item_id))]
        if not wanted:
            raise _Invalid("Zaznacz co najmniej jeden produkt do zwrotu.")
        reason = fields.get("reason", "").strip()[:2000]
        method = fields.get("method") or None
        text = "\n".join(
            [
                "Oświadczenie o odstąpieniu od umowy (formularz zwrotów na stronie sklepu).",
                f"Zamówienie: {order.number}",
                "Produkty: " + ", ".join(f"{lines[w.line_id]['name']} × {w.quantity}" for w in wanted),
                f"Powód: {reason or 'nie podano'}",
            ]
        )
        case, _ = file_request(
            db, runtime.ingest, shop, order, text=text, subject=f"Zwrot — zamówienie {order.number}",
            attachments=[], language=lang,
        )  # fmt: skip
        ret = do_start_return(
            db,
            system,
            case,
            order.id,
            wanted,
            reason=reason,
            method=ReturnMethod(method) if method in ReturnMethod.__members__.values() else None,
            source=IntakeSource.SELF_SERVICE,
            connector=connector_for(db, shop.id, runtime.connector_env()),
        )
        return Step(kind=kind, shop=shop, step="done", order=order, outcome={"return": ret, "case": case})
    item_id = fields.get("item", "")
    if item_id not in lines:
        raise _Invalid("Wybierz produkt, którego dotyczy reklamacja.")
    description = fields.get("description", "").strip()
    if len(description) < 5:
        raise _Invalid("Opisz, co jest nie tak z produktem (co najmniej kilka słów).")
    remedy = fields.get("remedy", "")
    if remedy not in Remedy.__members__.values():
        raise _Invalid("Wybierz, czego oczekujesz: wymiany, naprawy, obniżenia ceny lub zwrotu pieniędzy.")
    attachments = check_uploads(uploads)
    text = "\n".join(
        [
            "Reklamacja (formularz reklamacji na stronie sklepu).",
            f"Zamówienie: {order.number}",
            f"Produkt: {lines[item_id]['name']}",
            f"Oczekuję: {dict(REMEDIES)[Remedy(remedy)]}",
            f"Opis: {description[:5000]}",
        ]
    )
    case, message = file_request(
        db, runtime.ingest, shop, order, text=text, subject=f"Reklamacja — zamówienie {order.number}",
        attachments=attachments, language=lang,
    )  # fmt: skip
    evidence = list(db.scalars(select(Attachment.id).where(Attachment.message_id == message.id)))
    complaint = do_register_complaint(
        db,
        system,
        case,
        order.id,
        item_id,
        description=description,
        remedy=Remedy(remedy),
        evidence=evidence,
        source=IntakeSource.SELF_SERVICE,
    )
    return Step(
        kind=kind,
        shop=shop,
        step="done",
        order=order,
        outcome={
            "complaint": complaint,
            "case": case,
            "due_on": deadlines.local_day(complaint.answer_due_by, shop.timezone),
            "files": len(evidence),
        },
    )


def _quantity(fields: dict[str, str], item_id: str) -> int:
    raw = fields.get(f"qty_{item_id}", "").strip()
    return min(int(raw), 999) if raw.isdigit() else 0


class _Invalid(AppError):
    status = 422
    code = "invalid_input"


# ------------------------------------------------------------------------------------------ agent pages


@router.get("/app/aftersales/returns", response_class=HTMLResponse)
def returns_page(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    queue: Literal["open", "review", "awaiting_goods", "to_refund", "closed"] = "open",
) -> HTMLResponse:
    rows = returns_queue(db, user.principal, queue)
    context = {"rows": rows, "queue": queue, "labels": LABELS}
    return render(request, "aftersales/returns.html", context, user=user)


@router.get("/app/aftersales/complaints", response_class=HTMLResponse)
def complaints_page(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    queue: Literal["open", "follow_up", "closed"] = "open",
) -> HTMLResponse:
    rows = complaints_queue(db, user.principal, queue)
    context = {"rows": rows, "queue": queue, "labels": COMPLAINT_LABELS}
    return render(request, "aftersales/complaints.html", context, user=user)


@router.get("/app/aftersales/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    complaint_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    complaint: Complaint = access_complaint(db, user.principal, complaint_id)
    out = complaints_out(db, [complaint])[0]
    files = list(db.scalars(select(Attachment).where(Attachment.id.in_(complaint.evidence or []))))
    context = {
        "c": out,
        "files": files,
        "remedies": REMEDIES,
        "templates": answer_templates(out.number, out.item_name, out.order_number),
        "signals": case_aftersales(db, user.principal, complaint.case_id).signals,
        "labels": COMPLAINT_LABELS,
    }
    return render(request, "aftersales/complaint.html", context, user=user)


@router.get("/app/aftersales/cases/{case_id}", response_class=HTMLResponse)
def case_fragment(case_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    """Returns and complaints of a case with intake forms; the case view loads it with htmx."""
    case = access_case(db, user.principal, case_id)
    orders = list(
        db.scalars(
            select(Order)
            .where(Order.workspace_id == case.workspace_id)
            .where(Order.id.in_(_case_order_ids(db, case.id)))
            .order_by(Order.placed_at.desc())
        )
    )
    context = {
        "case": case,
        "data": case_aftersales(db, user.principal, case_id),
        "orders": [(o, _order_lines(db, o)) for o in orders],
        "remedies": REMEDIES,
        "labels": LABELS,
    }
    return render(request, "aftersales/_case.html", context, user=user)


def _case_order_ids(db: Session, case_id: str) -> list[str]:
    return list(db.scalars(select(CaseOrder.order_id).where(CaseOrder.case_id == case_id)))


@router.get("/app/aftersales/report", response_class=HTMLResponse)
def report_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    context = {"r": report(db, user.principal), "labels": LABELS, "outcomes": COMPLAINT_OUTCOMES}
    return render(request, "aftersales/report.html", context, user=user)
