"""Demo data: the "Sklep Leśna Polana" workspace (``seed_demo``) and the τ²-bench retail shop (``seed_tau2``).

Both are idempotent: a workspace whose slug exists is left alone. Neither commits; the caller owns the
transaction. Texts (knowledge articles, sample conversations) live in ``commerce/demo/data/*.json``.
"""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sprawa.aftersales.actions.demo import seed_demo_aftersales
from sprawa.ai.seed import seed_ai
from sprawa.auth.models import Role, TeamMember, User
from sprawa.auth.queries import principal_for_user
from sprawa.auth.service import hash_password
from sprawa.cases.models import Case, CaseStatus, DeliveryStatus, Message
from sprawa.cases.service import do_reply
from sprawa.channels.base import IdentityClaim, InboundMessage
from sprawa.channels.demo import seed_channel_demo
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import IngestContext, ingest_message
from sprawa.commerce.base import OrderDetail, OrderLine, OrderStatus, ShopCustomer
from sprawa.commerce.demo.connector import DemoRules, DemoShop
from sprawa.commerce.demo.models import DemoOrder, DemoReturn
from sprawa.commerce.demo.seed import DEFAULT_SEED, seed_shop
from sprawa.commerce.demo.timeline import DATA, paczkomat_code
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.service import refresh_order, sync_all, sync_customer_orders
from sprawa.commerce.tau2 import TAU2_RULES, default_db_path, load_tau2
from sprawa.config import Settings
from sprawa.customers.models import IdentityKind
from sprawa.customers.service import resolve_customer
from sprawa.db import utcnow
from sprawa.insights.actions.history import seed_insights_demo
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.macros.service import seed_demo_macros
from sprawa.platform.crypto import SecretBox
from sprawa.platform.jobs import Job, JobStatus
from sprawa.proactive.demo import seed_proactive_demo
from sprawa.workspaces.models import Policy, PolicyKind, Team, Workspace
from sprawa.workspaces.schemas import parse_policy

DEMO_SLUG = "demo"
TAU2_SLUG = "tau2-retail"
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the published demo login

#: (e-mail, name, role, teams)
DEMO_USERS = [
    ("admin@demo.sprawa.local", "Anna Nowak", Role.OWNER, []),
    ("agnieszka@demo.sprawa.local", "Agnieszka Wiśniewska", Role.AGENT, ["Obsługa klienta"]),
    ("tomasz@demo.sprawa.local", "Tomasz Zieliński", Role.AGENT, ["Zwroty i reklamacje", "Obsługa klienta"]),
    ("katarzyna@demo.sprawa.local", "Katarzyna Lewandowska", Role.AGENT, ["B2B / EN", "Obsługa klienta"]),
]
DEMO_TEAMS = {
    "Obsługa klienta": ["general", "pl", "wismo"],
    "Zwroty i reklamacje": ["returns", "complaints"],
    "B2B / EN": ["b2b", "en", "de", "uk"],
}
# Obviously fake credentials: the demo never talks to a real provider.
DEMO_CHANNELS: list[tuple[ChannelKind, str, dict[str, Any], dict[str, Any]]] = [
    (ChannelKind.WEBCHAT, "Czat na stronie", {}, {"greeting": "Dzień dobry! W czym możemy pomóc?"}),
    (
        ChannelKind.EMAIL,
        "E-mail sklep@lesnapolana.pl",
        {"username": "sklep@lesnapolana.pl", "password": "demo-not-a-real-password"},
        {
            "address": "sklep@lesnapolana.pl",
            "display_name": "Leśna Polana — obsługa klienta",
            "imap_host": "imap.demo.invalid",
            "smtp_host": "smtp.demo.invalid",
        },
    ),
    (
        ChannelKind.WHATSAPP,
        "WhatsApp +48 12 000 00 00",
        {"access_token": "demo-whatsapp-token-not-real", "app_secret": "demo-app-secret-not-real"},
        {"phone_number_id": "100000000000000", "display_phone": "+48 12 000 00 00"},
    ),
    (
        ChannelKind.MESSENGER,
        "Messenger — Leśna Polana",
        {"page_access_token": "demo-page-token-not-real", "app_secret": "demo-app-secret-not-real"},
        {"page_id": "100000000000001"},
    ),
    (
        ChannelKind.INSTAGRAM,
        "Instagram @lesnapolana",
        {"page_access_token": "demo-ig-token-not-real", "app_secret": "demo-app-secret-not-real"},
        {"instagram_account_id": "17800000000000000"},
    ),
    (
        ChannelKind.ALLEGRO,
        "Allegro — LesnaPolana",
        {
            "client_id": "demo-allegro-client",
            "client_secret": "demo-allegro-secret-not-real",
            "refresh_token": "demo-refresh-token-not-real",
        },
        {"seller_login": "LesnaPolana", "environment": "sandbox"},
    ),
    (ChannelKind.FORM, "Formularz kontaktowy", {"signing_secret": "demo-form-signing-secret-not-real"}, {}),
]


def _now_hour() -> datetime:
    """The demo's "now", truncated to the hour so that two seeds in the same hour build the same shop."""
    return utcnow().replace(minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------------------------- demo


def seed_demo(
    session: Session,
    settings: Settings,
    ingest: IngestContext,
    *,
    now: datetime | None = None,
    seed: int = DEFAULT_SEED,
    with_cases: bool = True,
) -> dict[str, Any]:
    """Create the demo workspace with users, teams, channels, policies, knowledge, shop data and cases."""
    existing = session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
    if existing is not None:
        return {
            "skipped": True,
            "workspace_id": existing.id,
            "message": f"Workspace '{DEMO_SLUG}' already exists — nothing seeded.",
        }
    now = now or _now_hour()
    workspace = Workspace(
        slug=DEMO_SLUG,
        name="Sklep Leśna Polana",
        timezone="Europe/Warsaw",
        languages=["pl", "en", "uk", "de"],
        default_language="pl",
        settings={
            "commerce": {"kind": "demo"},
            "order_number_pattern": r"\b1\d{5}\b",
            "link_window_minutes": 1440,
        },
    )
    session.add(workspace)
    session.flush()
    teams = _teams(session, workspace, DEMO_TEAMS)
    users = _users(session, workspace, DEMO_USERS, teams)
    channels = _channels(session, workspace, settings)
    _policies(session, workspace, _demo_policies(teams), users[0])
    articles = _knowledge(session, workspace)
    seed_demo_macros(session, workspace.id)
    shop_counts = seed_shop(session, workspace.id, now=now, seed=seed)
    shop = DemoShop(session, workspace.id)
    cache = sync_all(session, shop, workspace.id)
    cases = 0
    if with_cases:
        cases = SampleCases(session, ingest, workspace, channels, users[1:], shop, now, seed).run()
        cases += seed_demo_aftersales(session, ingest, workspace.id)["cases"]
        cases += seed_insights_demo(session, workspace.id, now=now)
        seed_channel_demo(session, ingest.secrets, workspace.id)  # e-mail + WhatsApp via the fakes
    cases += seed_ai(session, workspace, ingest if with_cases else None)
    seed_proactive_demo(session, workspace.id)
    lines = [
        "Demo workspace 'demo' (Sklep Leśna Polana) is ready.",
        f"Log in with any of these (password: {DEMO_PASSWORD}):",
        *[f"  {u.email:<32} {u.role}" for u in users],
        f"Shop: {shop_counts['demo_products']} products, {shop_counts['demo_customers']} customers, "
        f"{shop_counts['demo_orders']} orders (numbers {100001}–{100000 + shop_counts['demo_orders']}), "
        f"{shop_counts['demo_shipments']} parcels; {cases} sample cases; {articles} knowledge articles.",
    ]
    return {
        "skipped": False,
        "workspace_id": workspace.id,
        "users": [u.email for u in users],
        "password": DEMO_PASSWORD,
        "teams": len(teams),
        "channels": len(channels),
        "articles": articles,
        "shop": shop_counts,
        "cache": cache,
        "cases": cases,
        "message": "\n".join(lines),
    }


def _teams(session: Session, workspace: Workspace, spec: dict[str, list[str]]) -> dict[str, Team]:
    teams = {name: Team(workspace_id=workspace.id, name=name, skills=skills) for name, skills in spec.items()}
    session.add_all(teams.values())
    session.flush()
    return teams


def _users(
    session: Session,
    workspace: Workspace,
    spec: list[tuple[str, str, Role, list[str]]],
    teams: dict[str, Team],
) -> list[User]:
    password_hash = hash_password(DEMO_PASSWORD)
    users = []
    for email, name, role, team_names in spec:
        user = User(workspace_id=workspace.id, email=email, name=name, role=role, password_hash=password_hash)
        session.add(user)
        session.flush()
        session.add_all(TeamMember(team_id=teams[t].id, user_id=user.id) for t in team_names)
        users.append(user)
    session.flush()
    return users


def _channels(session: Session, workspace: Workspace, settings: Settings) -> dict[ChannelKind, Channel]:
    box = SecretBox(settings.resolved_secret_key)
    channels = {
        kind: Channel(
            workspace_id=workspace.id,
            kind=kind,
            name=name,
            credentials_encrypted=box.seal(creds) if creds else "",
            settings=channel_settings,
        )
        for kind, name, creds, channel_settings in DEMO_CHANNELS
    }
    session.add_all(channels.values())
    session.flush()
    return channels


def _demo_policies(teams: dict[str, Team]) -> dict[PolicyKind, dict[str, Any]]:
    returns_team = teams["Zwroty i reklamacje"].id
    service_team = teams["Obsługa klienta"].id
    b2b_team = teams["B2B / EN"].id
    return {
        PolicyKind.RETURNS: {
            "window_days": 30,
            "return_shipping_paid_by": "customer",
            "ai_may_start_return": True,
            "notes": "Ustawowe 14 dni wydłużamy do 30 dni od doręczenia. Wyjątki z art. 38: produkty "
            "personalizowane oraz otwarte kosmetyki, szczoteczki soniczne i kawa.",
        },
        PolicyKind.CANCELLATION: {
            "allowed_order_states": ["new", "awaiting_payment", "paid", "packed"],
            "needs_human_approval": False,
        },
        PolicyKind.ORDER_CHANGES: {
            "allowed_order_states": ["new", "awaiting_payment", "paid"],
            "allowed_changes": ["address", "items", "payment_method"],
            "needs_human_approval": False,
        },
        PolicyKind.REFUNDS: {"methods": ["original_payment", "bank_transfer"], "refund_within_days": 14},
        PolicyKind.COMPENSATION: {
            "max_amount_pln": "20.00",
            "kinds": ["free_shipping_code", "discount_code"],
            "max_per_customer_per_month": 1,
        },
        PolicyKind.ESCALATION: {
            "rules": [
                {"reason": "human_request", "team_id": service_team, "priority": "normal"},
                {"reason": "frustration", "team_id": service_team, "priority": "high"},
                {"reason": "complaint", "team_id": returns_team, "priority": "normal"},
                {"reason": "legal", "team_id": returns_team, "priority": "high"},
                {"reason": "health_safety", "team_id": returns_team, "priority": "urgent"},
                {"reason": "data_protection", "team_id": service_team, "priority": "high"},
                {"reason": "vip_customer", "team_id": b2b_team, "priority": "high"},
                {"reason": "repeat_contact", "team_id": service_team, "priority": "high"},
                {"reason": "low_confidence", "team_id": service_team, "priority": "normal"},
                {"reason": "failed_action", "team_id": service_team, "priority": "normal"},
                {"reason": "approval_required", "team_id": returns_team, "priority": "normal"},
                {"reason": "ai_turn_limit", "team_id": service_team, "priority": "normal"},
            ],
            "ai_turn_limit": 4,
        },
        PolicyKind.BUSINESS_HOURS: {
            "timezone": "Europe/Warsaw",
            "days": {
                **{d: [{"start": "08:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
                "sat": [{"start": "09:00", "end": "14:00"}],
            },
            "closed_dates": [
                "2026-01-01",
                "2026-01-06",
                "2026-04-05",
                "2026-04-06",
                "2026-05-01",
                "2026-05-03",
                "2026-06-04",
                "2026-08-15",
                "2026-11-01",
                "2026-11-11",
                "2026-12-24",
                "2026-12-25",
                "2026-12-26",
            ],
        },
        PolicyKind.SLA: {"first_response_minutes": 60, "resolution_hours": 24, "business_hours_only": True},
        PolicyKind.TONE: {
            "address_form": "pan_pani",
            "formality": "neutral",
            "emoji": False,
            "signature": "Zespół Leśnej Polany",
            "instructions": (
                "Piszemy ciepło i konkretnie, bez urzędowego języka. Zwracamy się per Pani/Pan, chyba że "
                "klient pisze na „ty” — wtedy odpowiadamy tak samo. Najpierw odpowiedź, potem szczegóły. "
                "Nie obiecujemy niczego, czego nie możemy sprawdzić w zamówieniu."
            ),
        },
    }


def _policies(
    session: Session, workspace: Workspace, data: dict[PolicyKind, dict[str, Any]], author: User | None
) -> None:
    for kind, raw in data.items():
        typed = parse_policy(kind, raw).model_dump(mode="json")
        session.add(
            Policy(
                workspace_id=workspace.id,
                kind=kind,
                version=1,
                data=typed,
                active=True,
                created_by_id=author.id if author else None,
            )
        )
    session.flush()


def _knowledge(session: Session, workspace: Workspace) -> int:
    articles = json.loads((DATA / "knowledge.json").read_text(encoding="utf-8"))
    session.add_all(
        KnowledgeArticle(
            workspace_id=workspace.id,
            slug=a["slug"],
            language=a["language"],
            title=a["title"],
            body=a["body"],
            category=a["category"],
            tags=a["tags"],
        )
        for a in articles
    )
    session.flush()
    return len(articles)


# ------------------------------------------------------------------------------------------ sample cases


@dataclass
class _Pick:
    order: OrderDetail | None
    customer: dict[str, Any]


class SampleCases:
    """Turns ``cases.json`` into real cases: a fitting shop customer and order per conversation."""

    FALLBACKS = {
        "delayed": "stuck",
        "stuck": "in_transit",
        "lost": "exception",
        "pickup_expired": "exception",
        "exception": "in_transit",
        "ready_for_pickup": "in_transit",
        "out_for_delivery": "in_transit",
        "packed_paczkomat": "paid",
        "new_cod": "paid",
        "awaiting_payment": "paid",
        "cancelled_paid": "paid",
        "return_requested": "delivered_recent",
        "company_order": "delivered_recent",
        "cosmetics": "delivered_recent",
        "custom_made": "delivered_recent",
        "delivered_clothing": "delivered_recent",
        "delivered_electronics": "delivered_recent",
        "delivered_multi": "delivered_recent",
        "delivered_old": "delivered_recent",
        "in_transit": "delivered_recent",
        "paid": "delivered_recent",
    }

    def __init__(
        self,
        session: Session,
        ctx: IngestContext,
        workspace: Workspace,
        channels: dict[ChannelKind, Channel],
        agents: list[User],
        shop: DemoShop,
        now: datetime,
        seed: int,
    ) -> None:
        self.session, self.ctx, self.workspace, self.channels = session, ctx, workspace, channels
        self.agents, self.shop, self.now = agents, shop, now
        self.rng = random.Random(seed + 1)
        self.used: set[str] = set()
        self.buckets: dict[str, list[OrderDetail]] = {}
        customers: dict[str, ShopCustomer] = {}
        for detail in shop.iter_orders():
            for key in _categories(detail, now):
                self.buckets.setdefault(key, []).append(detail)
            if detail.customer:
                customers.setdefault(detail.customer.external_id, detail.customer)
        self.customers = sorted(customers.values(), key=lambda c: c.external_id)

    def run(self) -> int:
        specs = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
        count = 0
        for i, spec in enumerate(specs):
            pick = self._pick(spec["pick"], spec["language"])
            if self._conversation(i, spec, pick):
                count += 1
        return count

    def _pick(self, key: str, language: str) -> _Pick:
        while key != "none":
            candidates = [
                d for d in self.buckets.get(key, []) if d.customer and d.customer.external_id not in self.used
            ]
            if candidates:
                order = self.rng.choice(candidates)
                assert order.customer is not None
                self.used.add(order.customer.external_id)
                return _Pick(order, _person(order.customer))
            key = self.FALLBACKS.get(key, "none")
        free = [c for c in self.customers if c.external_id not in self.used]
        customer = self.rng.choice(free)
        self.used.add(customer.external_id)
        return _Pick(None, _person(customer))

    def _conversation(self, i: int, spec: dict[str, Any], pick: _Pick) -> bool:
        channel = self.channels[ChannelKind(spec["channel"])]
        values = self._placeholders(pick, spec["pick"])
        claims, thread = self._identity(channel.kind, pick, spec["pick"] == "none", i)
        customer = resolve_customer(
            self.session, self.workspace.id, claims, name=pick.customer["name"], language=spec["language"]
        )
        sync_customer_orders(self.session, self.shop, self.workspace.id, customer)
        sent_at = self.now - timedelta(hours=self.rng.uniform(0.3, 60))
        message = None
        for j, text in enumerate(spec["messages"]):
            message = ingest_message(
                self.session,
                self.ctx,
                channel,
                InboundMessage(
                    provider_message_id=f"seed-{i}-{j}",
                    thread_external_id=thread,
                    identities=claims,
                    text=text.format(**values),
                    subject=spec["subject"].format(**values) if spec["subject"] else None,
                    name=pick.customer["name"],
                    language=spec["language"],
                    sent_at=sent_at + timedelta(minutes=j),
                ),
            )
        if message is None:
            return False
        if spec["action"] == "cancel" and pick.order is not None:
            self.shop.cancel_order(pick.order.number, reason="Zamówienie złożone dwa razy przez pomyłkę")
            refresh_order(self.session, self.shop, self.workspace.id, pick.order.number)
        if spec["reply"]:
            self._reply(message, spec, values)
        return True

    def _reply(self, message: Message, spec: dict[str, Any], values: dict[str, str]) -> None:
        case = self.session.get(Case, message.case_id)
        assert case is not None
        agent = self.agents[spec["agent"] % len(self.agents)]
        status = CaseStatus(spec["status_after"]) if spec["status_after"] else None
        reply = do_reply(
            self.session,
            principal_for_user(self.session, agent),
            case,
            spec["reply"].format(**values),
            status_after=status,
        )
        # Seeded history: the reply counts as delivered, nothing is sent to the fake providers.
        sent = utcnow()
        reply.delivery_status = DeliveryStatus.DELIVERED
        reply.sent_at = reply.delivered_at = sent
        self.session.execute(
            update(Job)
            .where(Job.idempotency_key == f"deliver:{reply.id}")
            .values(status=JobStatus.DONE, finished_at=sent)
        )

    def _placeholders(self, pick: _Pick, key: str) -> dict[str, str]:
        d = pick.order
        ship = d.shipments[0] if d and d.shipments else None
        return_number = ""
        if d is not None and d.status == OrderStatus.RETURN_REQUESTED:
            return_number = (
                self.session.scalar(
                    select(DemoReturn.number)
                    .join(DemoOrder, DemoOrder.id == DemoReturn.order_id)
                    .where(DemoOrder.workspace_id == self.workspace.id, DemoOrder.number == d.number)
                )
                or ""
            )
        product = _subject_line(d, key).name if d is not None and d.items else ""
        return {
            "order": d.number if d else "",
            "product": product,
            "tracking": ship.tracking_number or "" if ship else "",
            "point": d.pickup_point or "" if d else "",
            "first": pick.customer["first"],
            "name": pick.customer["name"],
            "return_number": return_number,
            "new_point": paczkomat_code(self.rng, (d.pickup_point or "WAW")[:3] if d else "WAW"),
        }

    def _identity(
        self, kind: ChannelKind, pick: _Pick, anonymous: bool, i: int
    ) -> tuple[list[IdentityClaim], str]:
        person = pick.customer
        token = f"{self.rng.getrandbits(48):012x}"
        if kind == ChannelKind.WEBCHAT:
            claims = [IdentityClaim(IdentityKind.VISITOR, f"v-{token}", verified=True)]
            if not anonymous and person["email"]:
                claims.append(IdentityClaim(IdentityKind.EMAIL, person["email"]))
            return claims, f"chat-{token}"
        if kind == ChannelKind.EMAIL:
            return [
                IdentityClaim(IdentityKind.EMAIL, person["email"], verified=True)
            ], f"<{token}@mail.demo.invalid>"
        if kind == ChannelKind.WHATSAPP:
            wa_id = (person["phone"] or f"+4860{self.rng.randrange(10**7):07d}").lstrip("+")
            return [IdentityClaim(IdentityKind.WHATSAPP, wa_id, verified=True)], wa_id
        if kind == ChannelKind.MESSENGER:
            psid = str(self.rng.randrange(10**15, 10**16))
            return [IdentityClaim(IdentityKind.MESSENGER_PSID, psid, verified=True)], psid
        if kind == ChannelKind.INSTAGRAM:
            igsid = str(self.rng.randrange(10**16, 10**17))
            return [IdentityClaim(IdentityKind.INSTAGRAM_ID, igsid, verified=True)], igsid
        if kind == ChannelKind.ALLEGRO:
            login = f"{person['first'].lower()[:6]}_{self.rng.randint(10, 99)}".encode(
                "ascii", "ignore"
            ).decode()
            return [IdentityClaim(IdentityKind.ALLEGRO_LOGIN, login, verified=True)], f"allegro-{token}"
        claims = [IdentityClaim(IdentityKind.EMAIL, person["email"])]
        if person["phone"]:
            claims.append(IdentityClaim(IdentityKind.PHONE, person["phone"]))
        return claims, f"form-{token}"


def _subject_line(d: OrderDetail, key: str) -> OrderLine:
    """The order line a sample conversation is about (the cosmetic, the personalised item, the dress...)."""
    wanted = {
        "cosmetics": lambda line: line.withdrawal_exception == "sealed_hygiene",
        "custom_made": lambda line: line.withdrawal_exception == "custom_made",
        "delivered_clothing": lambda line: (line.product_external_id or "").startswith("LP-4"),
        "delivered_electronics": lambda line: (line.product_external_id or "").startswith("LP-5"),
    }.get(key, lambda line: True)
    lines = [line for line in d.items if wanted(line)] or list(d.items)
    return lines[-1]


def _person(customer: ShopCustomer) -> dict[str, Any]:
    first = customer.name.split(" ")[0]
    return {"name": customer.name, "first": first, "email": customer.email, "phone": customer.phone}


def _categories(d: OrderDetail, now: datetime) -> list[str]:
    """The sample-case buckets one order fits in."""
    keys = []
    ship = d.shipments[0] if d.shipments else None
    codes = {e.code for e in ship.events} if ship else set()
    last_at = ship.events[-1].at if ship and ship.events else None
    refs = [line.product_external_id or "" for line in d.items]
    exceptions = {line.withdrawal_exception for line in d.items} - {None}
    status = d.status
    if status == OrderStatus.SHIPPED and ship:
        if ship.state == ShipmentState.IN_TRANSIT and codes & {"delay_in_delivery", "delayed"}:
            keys.append("delayed")
        elif ship.state == ShipmentState.IN_TRANSIT and last_at and now - last_at > timedelta(days=3):
            keys.append("stuck")
        elif ship.state == ShipmentState.IN_TRANSIT:
            keys.append("in_transit")
        if ship.state == ShipmentState.LOST:
            keys.append("lost")
        if "pickup_time_expired" in codes:
            keys.append("pickup_expired")
        elif ship.state == ShipmentState.EXCEPTION:
            keys.append("exception")
        if ship.state == ShipmentState.READY_FOR_PICKUP and d.pickup_point:
            keys.append("ready_for_pickup")
        if ship.state == ShipmentState.OUT_FOR_DELIVERY:
            keys.append("out_for_delivery")
    if status == OrderStatus.DELIVERED and d.delivered_at:
        age = now - d.delivered_at
        if age <= timedelta(days=10) and not exceptions:
            keys.append("delivered_recent")
            if any(r.startswith("LP-4") for r in refs):
                keys.append("delivered_clothing")
            if any(r.startswith("LP-5") for r in refs):
                keys.append("delivered_electronics")
            if len(d.items) > 1:
                keys.append("delivered_multi")
            if d.customer and d.customer.is_company:
                keys.append("company_order")
        if age <= timedelta(days=25) and "sealed_hygiene" in exceptions:
            keys.append("cosmetics")
        if age <= timedelta(days=25) and "custom_made" in exceptions:
            keys.append("custom_made")
        if timedelta(days=40) <= age <= timedelta(days=120) and not exceptions:
            keys.append("delivered_old")
    simple = {
        OrderStatus.PAID: "paid",
        OrderStatus.AWAITING_PAYMENT: "awaiting_payment",
        OrderStatus.NEW: "new_cod",
        OrderStatus.RETURN_REQUESTED: "return_requested",
    }
    if status in simple:
        keys.append(simple[status])
    if status == OrderStatus.PACKED and d.pickup_point:
        keys.append("packed_paczkomat")
    if status == OrderStatus.CANCELLED and any(p.kind == "refund" for p in d.payments):
        keys.append("cancelled_paid")
    return keys


# -------------------------------------------------------------------------------------------------- tau2


def seed_tau2(session: Session, settings: Settings) -> dict[str, Any]:
    """A second workspace holding the τ²-bench retail shop (500 users, 1,000 orders), with its rules."""
    existing = session.scalar(select(Workspace).where(Workspace.slug == TAU2_SLUG))
    if existing is not None:
        return {
            "skipped": True,
            "workspace_id": existing.id,
            "message": f"Workspace '{TAU2_SLUG}' already exists — nothing seeded.",
        }
    workspace = Workspace(
        slug=TAU2_SLUG,
        name="τ²-bench retail",
        timezone="America/New_York",
        languages=["en"],
        default_language="en",
        settings={"commerce": {"kind": "demo", "rules": TAU2_RULES}, "order_number_pattern": r"#W\d{7}"},
    )
    session.add(workspace)
    session.flush()
    owner = User(
        workspace_id=workspace.id,
        email="admin@tau2.sprawa.local",
        name="τ² admin",
        role=Role.OWNER,
        password_hash=hash_password(DEMO_PASSWORD),
        language="en",
    )
    session.add(owner)
    session.flush()
    _policies(session, workspace, TAU2_POLICIES, owner)
    counts = load_tau2(session, workspace.id, default_db_path(settings.tau2_db))
    cache = sync_all(
        session, DemoShop(session, workspace.id, rules=DemoRules.from_settings(TAU2_RULES)), workspace.id
    )
    return {
        "skipped": False,
        "workspace_id": workspace.id,
        "users": [owner.email],
        "password": DEMO_PASSWORD,
        "shop": counts,
        "cache": cache,
        "message": f"Workspace '{TAU2_SLUG}' loaded: {counts['demo_customers']} users, "
        f"{counts['demo_orders']} orders, {counts['demo_products']} products "
        f"(log in as {owner.email} / {DEMO_PASSWORD}).",
    }


#: The benchmark's policy (``policy.md``) as Sprawa policies.
TAU2_POLICIES: dict[PolicyKind, dict[str, Any]] = {
    PolicyKind.RETURNS: {
        "window_days": 365,
        "return_shipping_paid_by": "customer",
        "ai_may_start_return": True,
        "notes": "τ²-bench has no return window: any delivered order can be returned or exchanged once.",
    },
    PolicyKind.CANCELLATION: {"allowed_order_states": ["paid"], "needs_human_approval": False},
    PolicyKind.ORDER_CHANGES: {
        "allowed_order_states": ["paid"],
        "allowed_changes": ["address", "items", "payment_method"],
        "needs_human_approval": False,
    },
    PolicyKind.REFUNDS: {"methods": ["original_payment", "gift_card"], "refund_within_days": 7},
    PolicyKind.COMPENSATION: {"max_amount_pln": "0", "kinds": [], "max_per_customer_per_month": 0},
    PolicyKind.TONE: {
        "address_form": "pan_pani",
        "formality": "neutral",
        "emoji": False,
        "instructions": "Answer in English. Confirm every write action with an explicit yes first.",
    },
}
