"""Customers, their identities across channels, and recorded (undoable) merges."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    VISITOR = "visitor"
    MESSENGER_PSID = "messenger_psid"
    INSTAGRAM_ID = "instagram_id"
    WHATSAPP = "whatsapp"
    ALLEGRO_LOGIN = "allegro_login"
    SHOP_CUSTOMER = "shop_customer"


class Customer(Base):
    """One person across channels."""

    __tablename__ = "customers"
    __table_args__ = (
        # The customer list (newest seen first) and name search on PostgreSQL (customers.queries).
        Index("ix_customers_list", "workspace_id", "last_seen_at", "id"),
        Index(
            "ix_customers_name_fts",
            text("to_tsvector('simple'::regconfig, name)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    flags: Mapped[list[str]] = mapped_column(default=list)
    consents: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_into_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Identity(Base):
    """A (kind, value) handle of a customer, unique in its workspace."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "value"),
        # Exact and prefix search by value whatever the kind; pattern ops make LIKE 'x%' use it on PostgreSQL.
        Index(
            "ix_identities_value", "workspace_id", "value", postgresql_ops={"value": "varchar_pattern_ops"}
        ),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerMerge(Base):
    """A recorded merge of one customer into another, with what moved, so it can be undone."""

    __tablename__ = "customer_merges"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    target_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(String(200))
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
