"""The proposed decision on a complaint, computed from data only (never from model text).

The facts it uses are stored with it (``Complaint.proposal["facts"]``) so an agent sees why: the product's
complaint history, the photos or videos present, the customer's history and the time since delivery. The
proposal is advice for the person who decides; nothing here answers the customer or rejects anything.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions.deadlines import add_months
from sprawa.aftersales.models import Complaint, ComplaintDecision, Remedy, Return, ReturnStatus
from sprawa.cases.models import Attachment

# Art. 43a–43g: the seller answers for non-conformity that shows within 2 years of delivery (calendar
# years: delivered on 29 February, the liability ends on 28 February two years later).
LIABILITY_MONTHS = 24
EVIDENCE_TYPES = ("image/", "video/")


def _reason(code: str, pl: str, en: str) -> dict[str, str]:
    return {"code": code, "pl": pl, "en": en}


def evidence_files(session: Session, attachment_ids: list[str]) -> int:
    """How many of these attachments are photos or videos."""
    if not attachment_ids:
        return 0
    types = session.scalars(select(Attachment.content_type).where(Attachment.id.in_(attachment_ids)))
    return sum(1 for t in types if t.startswith(EVIDENCE_TYPES))


def complaint_facts(session: Session, complaint: Complaint, now: datetime) -> dict[str, Any]:
    others = select(Complaint).where(
        Complaint.workspace_id == complaint.workspace_id, Complaint.id != complaint.id
    )
    product: dict[str, int] = {"total": 0, "accepted": 0, "rejected": 0}
    if complaint.product_external_id:
        rows = session.execute(
            select(Complaint.decision, func.count())
            .where(
                Complaint.workspace_id == complaint.workspace_id,
                Complaint.id != complaint.id,
                Complaint.product_external_id == complaint.product_external_id,
            )
            .group_by(Complaint.decision)
        )
        for decision, count in rows:
            product["total"] += count
            if decision:
                product[str(decision)] += count
    customer_complaints = session.scalar(
        select(func.count()).select_from(
            others.where(Complaint.customer_id == complaint.customer_id).subquery()
        )
    )
    same_item = 0
    if complaint.order_item_id:
        same_item = session.scalar(
            select(func.count()).select_from(
                others.where(
                    Complaint.customer_id == complaint.customer_id,
                    Complaint.order_item_id == complaint.order_item_id,
                ).subquery()
            )
        )
    customer_returns = session.scalar(
        select(func.count())
        .select_from(Return)
        .where(
            Return.workspace_id == complaint.workspace_id,
            Return.customer_id == complaint.customer_id,
            Return.status.not_in([ReturnStatus.CANCELLED]),
        )
    )
    days = (now - complaint.delivered_at).days if complaint.delivered_at else None
    return {
        "photos_or_videos": evidence_files(session, list(complaint.evidence or [])),
        "product_complaints": product,
        "customer_complaints": int(customer_complaints or 0),
        "customer_returns": int(customer_returns or 0),
        "same_item_complaints": int(same_item or 0),
        "days_since_delivery": days,
        "description_chars": len(complaint.description.strip()),
        "remedy_requested": str(complaint.remedy),
    }


def propose(session: Session, complaint: Complaint, now: datetime) -> dict[str, Any]:
    """``{"decision": accept|reject|ask_for_evidence, "remedy", "reasons": [...], "facts": {...}}``."""
    facts = complaint_facts(session, complaint, now)
    reasons: list[dict[str, str]] = []
    days = facts["days_since_delivery"]
    decision = ComplaintDecision.ACCEPTED.value
    if days is None:
        reasons.append(
            _reason(
                "no_delivery_date",
                "Sklep nie podaje daty doręczenia — sprawdź ją przed decyzją.",
                "The shop has no delivery date — check it before deciding.",
            )
        )
    elif complaint.delivered_at and now.date() > add_months(complaint.delivered_at.date(), LIABILITY_MONTHS):
        decision = ComplaintDecision.REJECTED.value
        reasons.append(
            _reason(
                "liability_expired",
                f"Od doręczenia minęło {days} dni — ponad 2 lata odpowiedzialności sprzedawcy.",
                f"{days} days since delivery — beyond the seller's 2-year liability.",
            )
        )
    else:
        reasons.append(
            _reason(
                "within_liability",
                f"Od doręczenia minęło {days} dni — w ciągu 2 lat wadę domniemywa się jako istniejącą przy "
                "dostawie.",
                f"{days} days since delivery — within 2 years the defect is presumed to have existed at "
                "delivery.",
            )
        )
    photos = facts["photos_or_videos"]
    if photos:
        reasons.append(
            _reason(
                "evidence", f"Klient dołączył zdjęcia/filmy: {photos}.", f"Photos/videos attached: {photos}."
            )
        )
    elif decision == ComplaintDecision.ACCEPTED.value:
        decision = "ask_for_evidence"
        reasons.append(
            _reason(
                "no_evidence",
                "Brak zdjęć lub filmu — poproś klienta o zdjęcie wady.",
                "No photos or video — ask the customer for a photo of the defect.",
            )
        )
    product = facts["product_complaints"]
    if product["total"]:
        reasons.append(
            _reason(
                "product_history",
                f"Ten produkt miał już {product['total']} reklamacji (uznanych: {product['accepted']}).",
                f"This product has had {product['total']} earlier complaints "
                f"({product['accepted']} accepted).",
            )
        )
    if facts["same_item_complaints"]:
        reasons.append(
            _reason(
                "repeat_item",
                "Klient reklamuje ten sam produkt z tego zamówienia kolejny raz — wada się powtarza.",
                "The customer is complaining about the same item again — the defect persists.",
            )
        )
    if facts["customer_complaints"] or facts["customer_returns"]:
        reasons.append(
            _reason(
                "customer_history",
                f"Historia klienta: reklamacje {facts['customer_complaints']}, zwroty "
                f"{facts['customer_returns']}.",
                f"Customer history: {facts['customer_complaints']} complaints, {facts['customer_returns']} "
                "returns.",
            )
        )
    remedy = Remedy(complaint.remedy)
    if remedy in (Remedy.PRICE_REDUCTION, Remedy.WITHDRAWAL) and not facts["same_item_complaints"]:
        remedy = Remedy.REPLACEMENT
        reasons.append(
            _reason(
                "remedy_order",
                "Klient prosi o obniżkę ceny lub odstąpienie; ustawa najpierw przewiduje naprawę albo "
                "wymianę (art. 43d) — zaproponuj wymianę, chyba że jest niemożliwa.",
                "The customer asks for a price reduction or withdrawal; the law puts repair or replacement "
                "first (art. 43d) — offer a replacement unless it is impossible.",
            )
        )
    return {"decision": decision, "remedy": str(remedy), "reasons": reasons, "facts": facts}
