"""Canned replies: the shop's ready answers with variables such as the customer's name or tracking link."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class Macro(Base):
    """A canned reply of one workspace; ``{placeholders}`` in its body are filled per case."""

    __tablename__ = "macros"
    __table_args__ = (UniqueConstraint("workspace_id", "title"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
