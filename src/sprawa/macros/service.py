"""Writes on canned replies (owners and admins); every change is announced to the workspace's agents."""

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.macros.models import Macro
from sprawa.macros.queries import access_macro, title_taken
from sprawa.macros.schemas import MacroIn, MacroPatch
from sprawa.platform.errors import Conflict, Forbidden
from sprawa.platform.events import Event, emit


def check_macro_admin(
    session: Session, actor: Principal, title: str | None, except_id: str | None = None
) -> None:
    if not actor.is_admin:
        raise Forbidden("only owners and admins may change canned replies", code="admin_only")
    if title is not None and title_taken(session, actor, title, except_id):
        raise Conflict(f"a canned reply titled {title!r} already exists", code="title_taken")


def _emit(session: Session, action: str, workspace_id: str, macro_id: str) -> None:
    emit(session, Event("macro.changed", workspace_id, {"id": macro_id, "action": action}))


def do_create_macro(session: Session, actor: Principal, body: MacroIn) -> Macro:
    check_macro_admin(session, actor, body.title)
    macro = Macro(workspace_id=actor.workspace_id, title=body.title, body=body.body)
    session.add(macro)
    session.flush()
    _emit(session, "created", macro.workspace_id, macro.id)
    return macro


def do_update_macro(session: Session, actor: Principal, macro_id: str, patch: MacroPatch) -> Macro:
    changes = patch.model_dump(exclude_unset=True)
    check_macro_admin(session, actor, changes.get("title"), macro_id)
    macro = access_macro(session, actor, macro_id, for_update=True)
    for key, value in changes.items():
        setattr(macro, key, value)
    session.flush()
    _emit(session, "updated", macro.workspace_id, macro.id)
    return macro


def do_delete_macro(session: Session, actor: Principal, macro_id: str) -> None:
    check_macro_admin(session, actor, None)
    macro = access_macro(session, actor, macro_id, for_update=True)
    session.delete(macro)
    session.flush()
    _emit(session, "deleted", actor.workspace_id, macro_id)


DEMO_MACROS = [
    (
        "Gdzie jest paczka",
        "Dzień dobry, {imie}!\n\nZamówienie {zamowienie} jest już w drodze ({przewoznik}). Przesyłkę można "
        "śledzić tutaj: {sledzenie}\n\nPozdrawiam serdecznie,\n{konsultant}",
    ),
    (
        "Zwrot — instrukcja",
        "Dzień dobry, {imie}!\n\nNa zwrot ma Pani/Pan 14 dni od odbioru paczki. Wystarczy wypełnić formularz "
        "zwrotu w zakładce „Moje zamówienia” przy zamówieniu {zamowienie} i nadać paczkę w dowolnym "
        "Paczkomacie InPost. Pieniądze oddamy w ciągu 14 dni od otrzymania zwrotu.\n\n"
        "Pozdrawiam,\n{konsultant}",
    ),
    (
        "Przeprosiny za opóźnienie",
        "Dzień dobry, {imie}!\n\nBardzo przepraszamy za opóźnienie zamówienia {zamowienie}. Sprawdziliśmy "
        "przesyłkę u przewoźnika i dopilnujemy, żeby dotarła jak najszybciej.\n\nPozdrawiam,\n{konsultant}",
    ),
]


def seed_demo_macros(session: Session, workspace_id: str) -> int:
    """The demo shop's canned replies (the caller owns the transaction)."""
    session.add_all(Macro(workspace_id=workspace_id, title=t, body=b) for t, b in DEMO_MACROS)
    return len(DEMO_MACROS)
