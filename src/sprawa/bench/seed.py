"""Bulk seeding of a realistic workspace for the API benchmark.

Shapes follow a real Polish shop's support: customers with Polish names, e-mail and phone identities and
orders; cases spread over half a year whose status depends on their age (old cases are mostly closed, the
inbox holds the recent ones); several messages per case alternating customer and agent (or AI), with seq
numbers 1..n and ``Case.last_seq == n``; a thread per case on one of five channels; notes and activities.

Rows are written with SQLAlchemy Core ``insert()`` executemany in batches; on PostgreSQL with ``COPY``
(psycopg), so a million messages take minutes, not hours. Ids are made from the row's own creation time,
so they sort like the data they name (as ``platform.ids.new_id`` does for live rows).
"""

import base64
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Table, delete, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from sprawa.auth.models import Role, TeamMember, User
from sprawa.cases.models import (
    AuthorKind,
    Case,
    CaseActivity,
    CaseOrder,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
    Note,
    Priority,
)
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.commerce.models import Order, OrderItem, Shipment, ShipmentState
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.workspaces.models import Team, Workspace

BENCH_SLUG = "bench"
# Provider ids of seeded messages start with this (replies sent during a run have none).
SEEDED_PREFIX = "bench-"
BATCH = 5000
# Cases are written in chunks (cases, threads, messages, links, notes) of this many cases.
CASE_CHUNK = 2000
HISTORY_DAYS = 180

_B32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghjkmnpqrstvwxyz")


class BenchDataMismatch(Exception):
    """The database already holds a bench workspace of another size."""


@dataclass(frozen=True)
class SeedPlan:
    messages: int = 100_000
    cases: int = 10_000
    customers: int = 3_000
    agents: int = 12
    seed: int = 42

    def __post_init__(self) -> None:
        if self.cases < 1 or self.customers < 1 or self.messages < self.cases:
            raise ValueError("need at least one case and customer, and at least one message per case")


@dataclass
class SeedInfo:
    """What the load generator needs to know about the seeded workspace."""

    workspace_id: str
    admin_user_id: str
    agent_ids: list[str]
    messages: int
    cases: int
    customers: int
    seconds: float = 0.0
    reused: bool = False
    channel_ids: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Polish text material: short building blocks combined at random, so texts vary in length and wording.

FIRST_LINES = [
    "Dzień dobry,",
    "Witam,",
    "Dzień dobry Państwu,",
    "Cześć,",
    "Szanowni Państwo,",
    "Hej,",
]
ISSUES = [
    "zamówiłam {product} w zeszłym tygodniu i paczka nadal do mnie nie dotarła.",
    "chciałbym zwrócić {product}, bo rozmiar jest za mały.",
    "w paczce brakuje jednego produktu ({product}), a na fakturze jest policzony.",
    "kurier zostawił awizo, ale nikt nie dzwonił. Kiedy będzie ponowna dostawa?",
    "proszę o fakturę VAT na firmę do zamówienia {order}.",
    "płatność przez BLIK została pobrana dwa razy za zamówienie {order}.",
    "{product} przyszedł uszkodzony, karton był zgnieciony. Składam reklamację.",
    "czy mogę jeszcze zmienić adres dostawy w zamówieniu {order}?",
    "paczka utknęła w paczkomacie InPost i status się nie zmienia od trzech dni.",
    "chcę anulować zamówienie {order}, pomyliłem kolor.",
    "kiedy {product} będzie znowu dostępny? Czekam na powiadomienie.",
    "nie dostałem zwrotu pieniędzy za odesłany towar, minęły już dwa tygodnie.",
    "numer przesyłki z zamówienia {order} nie działa na stronie kuriera.",
    "czy {product} pasuje do modelu z zeszłego roku? Nie mogę znaleźć tej informacji.",
    "zamówienie {order} ma status wysłane, ale kurier DPD twierdzi, że nie ma paczki.",
    "otrzymałam zły rozmiar, zamawiałam M, przyszło L.",
]
DETAILS = [
    "Numer zamówienia to {order}.",
    "Zależy mi na czasie, bo to prezent.",
    "W załączniku przesyłam zdjęcie.",
    "Proszę o szybką odpowiedź.",
    "Kupuję u Państwa od lat i pierwszy raz mam taki problem.",
    "Płaciłem kartą.",
    "Adres się nie zmienił.",
    "Wolałabym wymianę zamiast zwrotu pieniędzy.",
    "",
    "",
]
SIGN_OFFS = ["Pozdrawiam", "Z poważaniem", "Dziękuję i pozdrawiam", "Z góry dziękuję", "Miłego dnia"]
FOLLOW_UPS = [
    "Dziękuję za odpowiedź, ale problem nadal występuje.",
    "Czy jest już coś wiadomo w mojej sprawie?",
    "Paczka dotarła, dziękuję!",
    "Wysłałem zdjęcia, proszę o informację, co dalej.",
    "Zwrot odesłany, numer nadania {tracking}.",
    "Nadal nie dostałam pieniędzy na konto.",
    "Super, to rozwiązuje sprawę.",
    "A kiedy mogę się spodziewać kuriera?",
]
REPLIES = [
    "Dzień dobry, dziękujemy za wiadomość. Sprawdziliśmy zamówienie {order} — paczka jest w drodze "
    "i powinna dotrzeć w ciągu 1–2 dni roboczych.",
    "Dzień dobry, przepraszamy za kłopot. Zwrot środków zlecimy w ciągu 3 dni roboczych od otrzymania "
    "przesyłki.",
    "Dzień dobry, fakturę do zamówienia {order} wysłaliśmy na adres e-mail z zamówienia.",
    "Dzień dobry, reklamację przyjęliśmy. Prosimy o zdjęcia uszkodzeń, a wyślemy nowy egzemplarz.",
    "Dzień dobry, adres dostawy zmieniliśmy zgodnie z prośbą.",
    "Dzień dobry, zamówienie {order} zostało anulowane, środki wrócą tą samą metodą płatności.",
    "Dzień dobry, produkt wróci na magazyn w przyszłym tygodniu — damy znać mailowo.",
    "Dzień dobry, numer przesyłki to {tracking}; status u przewoźnika aktualizuje się z opóźnieniem.",
    "Dziękujemy za cierpliwość, sprawa jest już wyjaśniona. Pozdrawiamy, zespół obsługi klienta.",
]
NOTES = [
    "Klient stały, można zaproponować rabat 10%.",
    "Sprawdzić z magazynem stan towaru.",
    "Przewoźnik potwierdził zgubienie paczki — wysłać ponownie.",
    "Zwrot przyjęty na magazyn, do księgowania.",
    "Eskalacja do kierownika zmiany.",
]
PRODUCTS = [
    ("Kurtka przeciwdeszczowa", "Odzież", "249.00"),
    ("Buty trekkingowe", "Obuwie", "399.00"),
    ("Plecak miejski 25 l", "Akcesoria", "189.00"),
    ("Czajnik elektryczny", "AGD", "129.99"),
    ("Słuchawki bezprzewodowe", "Elektronika", "299.00"),
    ("Koc z mikrofibry", "Dom", "79.90"),
    ("Bluza z kapturem", "Odzież", "159.00"),
    ("Lampka biurkowa LED", "Dom", "99.00"),
    ("Kubek termiczny", "Akcesoria", "59.00"),
    ("Zestaw garnków", "Dom", "459.00"),
]
SUBJECTS = [
    "Gdzie jest moja paczka?",
    "Zwrot towaru",
    "Reklamacja — uszkodzony produkt",
    "Faktura VAT",
    "Podwójna płatność",
    "Zmiana adresu dostawy",
    "Anulowanie zamówienia",
    "Brak produktu w paczce",
    "Pytanie o dostępność",
    "Zły rozmiar",
    "Zwrot pieniędzy",
]
INTENTS = ["order_status", "return", "complaint", "invoice", "payment", "address_change", "cancel", "product"]
TAGS = ["vip", "allegro", "b2b", "zwrot", "reklamacja", "pilne", "inpost", "dpd"]
CARRIERS = ["inpost", "dpd", "dhl", "poczta_polska", "gls"]
DOMAINS = ["example.com", "example.net", "example.org"]
SEARCH_WORDS = ["paczka", "zwrot", "faktura", "reklamacja", "kurier", "rozmiar", "płatność", "InPost", "BLIK"]

CHANNELS: list[tuple[ChannelKind, str, float]] = [
    (ChannelKind.EMAIL, "E-mail sklep@", 0.45),
    (ChannelKind.WEBCHAT, "Czat na stronie", 0.25),
    (ChannelKind.FORM, "Formularz kontaktowy", 0.10),
    (ChannelKind.WHATSAPP, "WhatsApp", 0.10),
    (ChannelKind.ALLEGRO, "Allegro", 0.10),
]


# ---------------------------------------------------------------------------------------------------------


class _Ids:
    """Time-ordered ids (same layout as ``new_id``) at a given moment, from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def at(self, when: datetime) -> str:
        value = (int(when.timestamp() * 1000) << 80) | self.rng.getrandbits(80)
        # 130 bits -> 26 base32 characters; shifted to a 160-bit boundary so b32encode needs no padding.
        return base64.b32encode((value << 30).to_bytes(20, "big")).decode()[:26].translate(_B32)


class _Writer:
    """Batched inserts: COPY on PostgreSQL, Core executemany elsewhere."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        if self.postgres:
            # Bulk-load settings for this transaction only: no wait for the WAL flush of each chunk (a
            # crash loses at most the last chunks of a benchmark), and a large GIN pending list so the
            # full-text index is built in big merges instead of row by row.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            conn.exec_driver_sql("SET LOCAL gin_pending_list_limit = 65536")

    def write(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            self._copy(table, rows)
            return
        for start in range(0, len(rows), BATCH):
            self.conn.execute(insert(table), list(rows[start : start + BATCH]))

    def _copy(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        columns = [c for c in table.columns if c.name in rows[0]]
        names = [c.name for c in columns]
        json_at = [i for i, c in enumerate(columns) if isinstance(c.type, JSON)]
        raw = self.conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                values = list(map(row.__getitem__, names))
                for i in json_at:
                    values[i] = json.dumps(values[i], ensure_ascii=False)
                # StrEnum members are str: psycopg writes their value, as the String columns expect.
                copy.write_row(values)


class _Progress:
    """A bar redrawn in place on a terminal; a plain line per 10 % when the output is a log file."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last_step: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int, started: float) -> None:
        if not self.enabled:
            return
        rate = done / max(time.perf_counter() - started, 1e-6)
        tty = sys.stderr.isatty()
        step = 10 * done // max(total, 1)
        if not tty and self.last_step.get(label) == step and done < total:
            return
        self.last_step[label] = step
        filled = 30 * done // max(total, 1)
        bar = "█" * filled + "░" * (30 - filled)
        line = f"  {label:<9} {bar} {done:>10,}/{total:,}  {rate:>9,.0f}/s"
        if tty:
            print("\r" + line, end="\n" if done >= total else "", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def find_bench_workspace(engine: Engine) -> SeedInfo | None:
    """The bench workspace already in this database, with its size, or None."""
    with engine.connect() as conn:
        ws = conn.execute(select(Workspace.id).where(Workspace.slug == BENCH_SLUG)).scalar()
        if ws is None:
            return None
        admin = conn.execute(
            select(User.id).where(User.workspace_id == ws, User.role == Role.ADMIN).limit(1)
        ).scalar()
        agents = list(
            conn.execute(select(User.id).where(User.workspace_id == ws, User.role == Role.AGENT)).scalars()
        )

        def count(model: Any, *where: Any) -> int:
            return conn.execute(
                select(func.count()).select_from(model).where(model.workspace_id == ws, *where)
            ).scalar_one()

        return SeedInfo(
            workspace_id=ws,
            admin_user_id=admin or "",
            agent_ids=agents,
            # Seeded messages only: the replies of earlier runs do not make the data set another one.
            messages=count(Message, Message.provider_message_id.like(f"{SEEDED_PREFIX}%")),
            cases=count(Case),
            customers=count(Customer),
            reused=True,
        )


def drop_bench_workspace(engine: Engine) -> None:
    """Remove the bench workspace: the whole data set when it is the only workspace, else by cascade.

    The cascade deletes row by row and checks every foreign key that points at each row, which is slow
    at a million messages; a database that holds nothing but the bench data is emptied in bulk instead.
    """
    with engine.connect() as conn:
        ws = conn.execute(select(Workspace.id).where(Workspace.slug == BENCH_SLUG)).scalar()
        others = conn.execute(
            select(func.count()).select_from(Workspace).where(Workspace.slug != BENCH_SLUG)
        ).scalar_one()
    if ws is None:
        return
    if others == 0:
        _empty_all_tables(engine)
        return
    with engine.begin() as conn:
        conn.execute(delete(Workspace).where(Workspace.id == ws))


def _empty_all_tables(engine: Engine) -> None:
    import sprawa.models  # noqa: F401  (every table, so that none is forgotten)
    from sprawa.db import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} CASCADE")
        return
    raw = engine.raw_connection()
    try:
        # Outside a transaction (the pragma is ignored inside one); restored before the pool takes it back.
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("BEGIN IMMEDIATE")
        for table in tables:
            raw.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
        raw.execute("COMMIT")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.close()


def seed_bench(engine: Engine, plan: SeedPlan, *, progress: bool = True) -> SeedInfo:
    """Create the bench workspace with ``plan``'s volumes; returns what the load generator needs."""
    from sprawa.auth.service import hash_password

    started = time.perf_counter()
    rng = random.Random(plan.seed)
    ids = _Ids(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    epoch = now - timedelta(days=HISTORY_DAYS)
    report = _Progress(progress)

    with engine.begin() as conn:
        w = _Writer(conn)
        ws_id = ids.at(epoch)
        w.write(
            Workspace.__table__,  # type: ignore[arg-type]
            [
                {
                    "id": ws_id,
                    "slug": BENCH_SLUG,
                    "name": "Sklep benchmarkowy",
                    "timezone": "Europe/Warsaw",
                    "languages": ["pl", "en"],
                    "default_language": "pl",
                    "settings": {},
                    "case_counter": plan.cases,
                    "created_at": epoch,
                }
            ],
        )
        password = hash_password("bench-password-1")
        users = [_user(ids, ws_id, "admin", Role.ADMIN, 0, password, epoch)] + [
            _user(ids, ws_id, "agent", Role.AGENT, i, password, epoch) for i in range(1, plan.agents + 1)
        ]
        w.write(User.__table__, users)  # type: ignore[arg-type]
        agent_ids = [u["id"] for u in users[1:]]
        teams = [
            {"id": ids.at(epoch), "workspace_id": ws_id, "name": name, "skills": skills, "created_at": epoch}
            for name, skills in (("Zwroty", ["returns"]), ("Dostawy", ["delivery"]), ("B2B", ["b2b", "en"]))
        ]
        w.write(Team.__table__, teams)  # type: ignore[arg-type]
        w.write(
            TeamMember.__table__,  # type: ignore[arg-type]
            [
                {"id": ids.at(epoch), "team_id": teams[i % len(teams)]["id"], "user_id": agent}
                for i, agent in enumerate(agent_ids)
            ],
        )
        channels = [
            {
                "id": ids.at(epoch),
                "workspace_id": ws_id,
                "kind": kind,
                "name": name,
                "public_key": ids.at(epoch),
                "credentials_encrypted": "",
                "settings": {},
                "active": True,
                "created_at": epoch,
            }
            for kind, name, _weight in CHANNELS
        ]
        w.write(Channel.__table__, channels)  # type: ignore[arg-type]
        customers, orders = _customers_and_orders(w, ids, rng, ws_id, plan, epoch, now, report)

    channel_ids = [c["id"] for c in channels]
    channel_weights = [weight for _k, _n, weight in CHANNELS]
    team_ids = [t["id"] for t in teams]
    counts = _messages_per_case(rng, plan)
    created = sorted(epoch + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in counts)
    done_messages = 0
    msg_started = time.perf_counter()
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-seed")
    writing: Future[int] | None = None
    for chunk_start in range(0, plan.cases, CASE_CHUNK):
        chunk = range(chunk_start, min(chunk_start + CASE_CHUNK, plan.cases))
        rows: dict[str, list[dict[str, Any]]] = {
            "cases": [],
            "threads": [],
            "messages": [],
            "case_orders": [],
            "notes": [],
            "activities": [],
        }
        for index in chunk:
            customer = customers[rng.randrange(len(customers))]
            channel_index = rng.choices(range(len(channel_ids)), channel_weights)[0]
            _case_rows(
                rows,
                rng,
                ids,
                number=index + 1,
                n_messages=counts[index],
                created_at=created[index],
                now=now,
                ws_id=ws_id,
                customer=customer,
                channel_id=channel_ids[channel_index],
                agent_ids=agent_ids,
                team_ids=team_ids,
                customer_orders=orders.get(customer["id"], []),
            )
        # The database digests one chunk while the next is generated (the driver releases the GIL).
        if writing is not None:
            done_messages += writing.result()
            report("messages", done_messages, plan.messages, msg_started)
        writing = writer.submit(_write_chunk, engine, rows)
    if writing is not None:
        done_messages += writing.result()
        report("messages", done_messages, plan.messages, msg_started)
    writer.shutdown()

    analyse(engine)
    return SeedInfo(
        workspace_id=ws_id,
        admin_user_id=users[0]["id"],
        agent_ids=agent_ids,
        messages=plan.messages,
        cases=plan.cases,
        customers=plan.customers,
        seconds=time.perf_counter() - started,
        channel_ids=channel_ids,
    )


def _write_chunk(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> int:
    with engine.begin() as conn:
        w = _Writer(conn)
        w.write(Case.__table__, rows["cases"])  # type: ignore[arg-type]
        w.write(Thread.__table__, rows["threads"])  # type: ignore[arg-type]
        w.write(Message.__table__, rows["messages"])  # type: ignore[arg-type]
        w.write(CaseOrder.__table__, rows["case_orders"])  # type: ignore[arg-type]
        w.write(Note.__table__, rows["notes"])  # type: ignore[arg-type]
        w.write(CaseActivity.__table__, rows["activities"])  # type: ignore[arg-type]
    return len(rows["messages"])


def analyse(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there later on its own)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")


def _user(
    ids: _Ids, ws_id: str, kind: str, role: Role, i: int, password: str, epoch: datetime
) -> dict[str, Any]:
    return {
        "id": ids.at(epoch),
        "workspace_id": ws_id,
        "email": f"{kind}{i}@bench.sprawa.local",
        "name": f"Konsultant {i}" if i else "Administrator",
        "role": role,
        "password_hash": password,
        "language": "pl",
        "active": True,
        "created_at": epoch,
    }


def _customers_and_orders(
    w: _Writer,
    ids: _Ids,
    rng: random.Random,
    ws_id: str,
    plan: SeedPlan,
    epoch: datetime,
    now: datetime,
    report: "_Progress",
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    from faker import Faker

    fake = Faker("pl_PL")
    fake.seed_instance(plan.seed)
    customers: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    shipments: list[dict[str, Any]] = []
    by_customer: dict[str, list[str]] = {}
    started = time.perf_counter()
    for i in range(plan.customers):
        first, last = fake.first_name(), fake.last_name()
        seen = epoch + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
        cid = ids.at(seen)
        email = f"{_ascii(first)}.{_ascii(last)}{i}@{rng.choice(DOMAINS)}"
        # Unique by construction (i * 7 + r), as identities are unique per workspace.
        phone = (
            f"+48{5 + i % 4}{(10**7 + i * 7 + rng.randrange(7)) % 10**8:08d}" if rng.random() < 0.6 else None
        )
        customers.append(
            {
                "id": cid,
                "workspace_id": ws_id,
                "name": f"{first} {last}",
                "email": email,
                "phone": phone,
                "language": "pl" if rng.random() < 0.93 else "en",
                "flags": ["vip"] if rng.random() < 0.03 else [],
                "consents": {},
                "merged_into_id": None,
                "created_at": seen,
                "last_seen_at": seen,
            }
        )
        identities.append(_identity(ids, ws_id, cid, IdentityKind.EMAIL, email, seen))
        if phone:
            identities.append(_identity(ids, ws_id, cid, IdentityKind.PHONE, phone, seen))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            placed = epoch + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
            oid = ids.at(placed)
            number = f"{100000 + len(orders)}"
            lines = rng.sample(PRODUCTS, rng.randint(1, 3))
            total = Decimal("0")
            for name, _category, price in lines:
                qty = rng.choice((1, 1, 1, 2))
                total += Decimal(price) * qty
                items.append(
                    {
                        "id": ids.at(placed),
                        "workspace_id": ws_id,
                        "order_id": oid,
                        "external_id": f"{number}-{len(items)}",
                        "product_external_id": None,
                        "sku": None,
                        "name": name,
                        "quantity": qty,
                        "unit_price": Decimal(price),
                        "options": {},
                    }
                )
            delivered = placed + timedelta(days=rng.randint(1, 5))
            is_delivered = delivered < now and rng.random() < 0.85
            orders.append(
                {
                    "id": oid,
                    "workspace_id": ws_id,
                    "external_id": number,
                    "number": number,
                    "customer_id": cid,
                    "customer_email": email,
                    "customer_phone": phone,
                    "status": "delivered" if is_delivered else "shipped",
                    "payment_status": "paid",
                    "payment_method": rng.choice(("blik", "card", "transfer", "cod")),
                    "total": total,
                    "currency": "PLN",
                    "shipping_address": {"city": fake.city(), "postcode": fake.postcode()},
                    "placed_at": placed,
                    "delivered_at": delivered if is_delivered else None,
                    "source": "bench",
                    "fetched_at": now,
                }
            )
            shipments.append(
                {
                    "id": ids.at(placed),
                    "workspace_id": ws_id,
                    "order_id": oid,
                    "carrier": rng.choice(CARRIERS),
                    "tracking_number": f"{rng.randrange(10**15, 10**16)}",
                    "tracking_url": None,
                    "state": ShipmentState.DELIVERED if is_delivered else ShipmentState.IN_TRANSIT,
                    "pickup_point": None,
                    "pickup_deadline": None,
                    "estimated_delivery": delivered,
                    "events": [],
                    "last_event_at": delivered if is_delivered else placed,
                    "fetched_at": now,
                }
            )
            by_customer.setdefault(cid, []).append(oid)
    w.write(Customer.__table__, customers)  # type: ignore[arg-type]
    w.write(Identity.__table__, identities)  # type: ignore[arg-type]
    w.write(Order.__table__, orders)  # type: ignore[arg-type]
    w.write(OrderItem.__table__, items)  # type: ignore[arg-type]
    w.write(Shipment.__table__, shipments)  # type: ignore[arg-type]
    report("customers", plan.customers, plan.customers, started)
    return customers, by_customer


def _identity(
    ids: _Ids, ws_id: str, cid: str, kind: IdentityKind, value: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": ids.at(at),
        "workspace_id": ws_id,
        "customer_id": cid,
        "kind": kind,
        "value": value,
        "verified": False,
        "created_at": at,
    }


_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.translate(_ASCII).lower() if ch.isalnum())


def _messages_per_case(rng: random.Random, plan: SeedPlan) -> list[int]:
    """At least one message per case, the rest spread with a long tail (a few very long cases)."""
    counts = [1] * plan.cases
    weights = [rng.lognormvariate(0, 0.9) for _ in range(plan.cases)]
    for index in rng.choices(range(plan.cases), weights, k=plan.messages - plan.cases):
        counts[index] += 1
    return counts


def _status_for_age(rng: random.Random, age_days: float) -> CaseStatus:
    if age_days > 30:
        options = [(CaseStatus.CLOSED, 70), (CaseStatus.RESOLVED, 25), (CaseStatus.OPEN, 5)]
    elif age_days > 7:
        options = [
            (CaseStatus.RESOLVED, 40),
            (CaseStatus.CLOSED, 30),
            (CaseStatus.PENDING_CUSTOMER, 15),
            (CaseStatus.OPEN, 15),
        ]
    else:
        options = [
            (CaseStatus.NEW, 20),
            (CaseStatus.OPEN, 35),
            (CaseStatus.PENDING_CUSTOMER, 20),
            (CaseStatus.PENDING_INTERNAL, 10),
            (CaseStatus.RESOLVED, 15),
        ]
    return rng.choices([s for s, _ in options], [w for _, w in options])[0]


def _subject(rng: random.Random, order: str) -> str:
    """Subjects as customers write them: a topic, often with an order number or a product."""
    topic = rng.choice(SUBJECTS)
    roll = rng.random()
    if roll < 0.35:
        return f"{topic} — zamówienie {order}"
    if roll < 0.6:
        return f"{topic}: {rng.choice(PRODUCTS)[0].lower()}"
    if roll < 0.7:
        return f"Re: {topic}"
    return topic


def _fill(template: str, rng: random.Random, order: str) -> str:
    product = rng.choice(PRODUCTS)[0].lower()
    tracking = f"{rng.randrange(10**15, 10**16)}"
    return template.format(product=product, order=order, tracking=tracking)


def _customer_text(rng: random.Random, order: str, name: str, first: bool) -> str:
    if not first and rng.random() < 0.7:
        return _fill(rng.choice(FOLLOW_UPS), rng, order)
    parts = [rng.choice(FIRST_LINES), _fill(rng.choice(ISSUES), rng, order)]
    for _ in range(rng.randint(0, 3)):
        parts.append(_fill(rng.choice(DETAILS), rng, order))
    parts.append(f"{rng.choice(SIGN_OFFS)},\n{name}")
    return "\n".join(p for p in parts if p)


def _case_rows(
    rows: dict[str, list[dict[str, Any]]],
    rng: random.Random,
    ids: _Ids,
    *,
    number: int,
    n_messages: int,
    created_at: datetime,
    now: datetime,
    ws_id: str,
    customer: dict[str, Any],
    channel_id: str,
    agent_ids: list[str],
    team_ids: list[str],
    customer_orders: list[str],
) -> None:
    status = _status_for_age(rng, (now - created_at).total_seconds() / 86400)
    case_id = ids.at(created_at)
    thread_id = ids.at(created_at)
    order_number = f"{100000 + rng.randrange(0, 10**5)}"
    # A new case has no answer yet: all its messages are the customer's.
    answered = status != CaseStatus.NEW
    # Space the messages so the last one stays in the past, whatever the case's age.
    span = max(60.0, min((now - created_at).total_seconds() - 60, 14 * 86400.0))
    gaps = sorted(rng.uniform(0, span) for _ in range(n_messages - 1))
    times = [created_at] + [min(now, created_at + timedelta(seconds=g)) for g in gaps]
    first_response_at = last_inbound_at = None
    for seq, at in enumerate(times, start=1):
        inbound = seq == 1 or not answered or rng.random() < 0.5
        if not inbound and first_response_at is None:
            first_response_at = at
        if inbound:
            last_inbound_at = at
            author = AuthorKind.CUSTOMER
            body = _customer_text(rng, order_number, customer["name"], seq == 1)
            delivery = DeliveryStatus.RECEIVED
        else:
            author = AuthorKind.AI if rng.random() < 0.2 else AuthorKind.AGENT
            body = _fill(rng.choice(REPLIES), rng, order_number)
            delivery = rng.choices(
                [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.FAILED],
                [40, 35, 23, 2],
            )[0]
        rows["messages"].append(
            {
                "id": ids.at(at),
                "workspace_id": ws_id,
                "case_id": case_id,
                "thread_id": thread_id,
                "channel_id": channel_id,
                "customer_id": customer["id"],
                "seq": seq,
                "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
                "author_kind": author,
                "author_user_id": rng.choice(agent_ids) if author == AuthorKind.AGENT else None,
                "body_text": body,
                "body_html": None,
                "provider_message_id": f"{SEEDED_PREFIX}{number}-{seq}",
                "inbound_event_id": None,
                "delivery_status": delivery,
                "delivery_error": "550 mailbox unavailable" if delivery == DeliveryStatus.FAILED else None,
                "link_reason": ("new matter" if seq == 1 else "same conversation") if inbound else None,
                "language": customer["language"],
                "created_at": at,
                "sent_at": None if inbound else at,
                "delivered_at": at if delivery in (DeliveryStatus.DELIVERED, DeliveryStatus.READ) else None,
            }
        )
    last_at = times[-1]
    resolved_at = closed_at = None
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        resolved_at = last_at + timedelta(minutes=rng.randint(1, 600))
        resolved_at = min(resolved_at, now)
    if status == CaseStatus.CLOSED:
        closed_at = min(now, (resolved_at or last_at) + timedelta(days=rng.randint(1, 7)))
    subject = _subject(rng, order_number)
    rows["cases"].append(
        {
            "id": case_id,
            "workspace_id": ws_id,
            "number": number,
            "customer_id": customer["id"],
            "subject": subject,
            "status": status,
            "priority": rng.choices(list(Priority), [15, 65, 15, 5])[0],
            "assignee_id": rng.choice(agent_ids) if answered and rng.random() < 0.8 else None,
            "team_id": rng.choice(team_ids) if rng.random() < 0.6 else None,
            "channel_id": channel_id,
            "intent": rng.choice(INTENTS),
            "sentiment": round(rng.uniform(-1, 1), 2),
            "language": customer["language"],
            "tags": rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2))),
            "escalated": rng.random() < 0.05,
            "first_response_due_at": created_at + timedelta(hours=1),
            "resolution_due_at": created_at + timedelta(hours=24),
            "first_response_at": first_response_at,
            "resolved_at": resolved_at,
            "closed_at": closed_at,
            "reopened_count": 1 if rng.random() < 0.03 else 0,
            "last_seq": n_messages,
            "last_message_at": last_at,
            "last_inbound_at": last_inbound_at,
            "merged_into_id": None,
            "created_at": created_at,
            "updated_at": closed_at or resolved_at or last_at,
        }
    )
    rows["threads"].append(
        {
            "id": thread_id,
            "workspace_id": ws_id,
            "channel_id": channel_id,
            "customer_id": customer["id"],
            "case_id": case_id,
            "external_id": f"bench-{number}",
            "subject": subject,
            "last_message_at": last_at,
            "created_at": created_at,
        }
    )
    if customer_orders and rng.random() < 0.4:
        rows["case_orders"].append(
            {
                "id": ids.at(created_at),
                "workspace_id": ws_id,
                "case_id": case_id,
                "order_id": rng.choice(customer_orders),
                "reason": "mentioned by the customer",
                "created_at": created_at,
            }
        )
    if rng.random() < 0.1:
        rows["notes"].append(
            {
                "id": ids.at(last_at),
                "workspace_id": ws_id,
                "case_id": case_id,
                "author_user_id": rng.choice(agent_ids),
                "body_text": rng.choice(NOTES),
                "created_at": last_at,
            }
        )
    for kind, at, data in _activities(status, created_at, resolved_at, closed_at):
        rows["activities"].append(
            {
                "id": ids.at(at),
                "workspace_id": ws_id,
                "case_id": case_id,
                "actor_kind": AuthorKind.AGENT,
                "actor_user_id": rng.choice(agent_ids),
                "kind": kind,
                "data": data,
                "created_at": at,
            }
        )


def _activities(
    status: CaseStatus, created_at: datetime, resolved_at: datetime | None, closed_at: datetime | None
) -> Iterable[tuple[str, datetime, dict[str, Any]]]:
    if resolved_at is not None:
        yield "status", resolved_at, {"from": "open", "to": "resolved"}
    if closed_at is not None:
        yield "status", closed_at, {"from": "resolved", "to": "closed"}
