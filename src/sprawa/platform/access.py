"""The shape shared by every feature's access chokepoint: rows of one workspace, one row or NotFound."""

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sprawa.platform.errors import NotFound

Row = TypeVar("Row")


def select_in_workspace(model: type[Row], workspace_id: str) -> Select[tuple[Row]]:
    """Every row of ``model`` (which has a ``workspace_id`` column) belonging to one workspace."""
    column: Any = model.workspace_id  # type: ignore[attr-defined]
    return select(model).where(column == workspace_id)


def fetch_one_or_not_found(
    session: Session, stmt: Select[tuple[Row]], message: str, *, for_update: bool = False
) -> Row:
    """The first row ``stmt`` selects, locked (PostgreSQL) if ``for_update``; NotFound with ``message``.

    Rows of other workspaces are "not found" rather than forbidden, so that ids leak nothing.
    """
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(message)
    return row
