"""Canned replies over HTTP: everyone reads them and fills them for a case; admins write them."""

from typing import Annotated

from fastapi import APIRouter, Path

from sprawa.cases.queries import access_case
from sprawa.deps import Admin, CurrentPrincipal, DbSession
from sprawa.macros.queries import VARIABLES, access_macro, case_values, fill, readable_macros
from sprawa.macros.schemas import FilledMacro, MacroIn, MacroOut, MacroPatch
from sprawa.macros.service import do_create_macro, do_delete_macro, do_update_macro

router = APIRouter(prefix="/api/v1", tags=["macros"])
ItemId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/macros")
def list_macros(db: DbSession, principal: CurrentPrincipal) -> list[MacroOut]:
    """All canned replies of the workspace (a shop keeps tens, not thousands), by title."""
    return [MacroOut.model_validate(m) for m in db.scalars(readable_macros(principal).limit(500))]


@router.get("/macros/variables")
def list_variables(principal: CurrentPrincipal) -> dict[str, str]:
    """The ``{variables}`` a canned reply may use, with what each one becomes."""
    return VARIABLES


@router.post("/macros", status_code=201)
def create_macro(body: MacroIn, db: DbSession, admin: Admin) -> MacroOut:
    return MacroOut.model_validate(do_create_macro(db, admin, body))


@router.patch("/macros/{macro_id}")
def update_macro(macro_id: ItemId, body: MacroPatch, db: DbSession, admin: Admin) -> MacroOut:
    return MacroOut.model_validate(do_update_macro(db, admin, macro_id, body))


@router.delete("/macros/{macro_id}", status_code=204)
def delete_macro(macro_id: ItemId, db: DbSession, admin: Admin) -> None:
    do_delete_macro(db, admin, macro_id)


@router.post("/cases/{case_id}/macros/{macro_id}/fill")
def fill_macro(case_id: ItemId, macro_id: ItemId, db: DbSession, principal: CurrentPrincipal) -> FilledMacro:
    """The canned reply's text with this case's values (nothing is sent: the agent edits, then sends)."""
    case = access_case(db, principal, case_id)
    return fill(access_macro(db, principal, macro_id).body, case_values(db, principal, case))
