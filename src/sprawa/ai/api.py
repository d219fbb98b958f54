"""The AI over HTTP: decision trail, agent assist, drafts, flags, the AI switch and the action layer."""

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Path
from fastapi.encoders import jsonable_encoder

from sprawa.ai.actions.base import ActionName
from sprawa.ai.models import AIMode
from sprawa.ai.queries import ai_state, assist, decision_trail, flag_counts
from sprawa.ai.schemas import ActionIn, ActionOut, FlagIn, FlagOut, ModeIn
from sprawa.ai.service import do_agent_action, do_flag_decision, do_set_ai_mode, draft_reply
from sprawa.cases.queries import access_case
from sprawa.deps import CurrentPrincipal, DbSession, ShopEnv, Writer

router = APIRouter(prefix="/api/v1", tags=["ai"])

CaseId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/cases/{case_id}/ai")
def get_ai(case_id: CaseId, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The AI's state on the case and its decision trail in plain language."""
    case = access_case(db, principal, case_id)
    return {"state": ai_state(db, case), "decisions": decision_trail(db, case)}


@router.get("/cases/{case_id}/ai/assist")
def get_assist(
    case_id: CaseId,
    db: DbSession,
    principal: CurrentPrincipal,
    env: ShopEnv,
    sprawa_lang: Annotated[str, Cookie(max_length=8)] = "pl",
) -> dict[str, Any]:
    """Summary (in the UI's language: the agent UI's cookie), mood trend, facts, suggested actions with
    their policy verdicts, relevant articles."""
    return jsonable_encoder(assist(db, access_case(db, principal, case_id), env, sprawa_lang))


@router.post("/cases/{case_id}/ai/draft")
def post_draft(case_id: CaseId, db: DbSession, writer: Writer, env: ShopEnv) -> dict[str, Any]:
    """A drafted reply to the customer's last message (nothing is sent or changed)."""
    return jsonable_encoder(draft_reply(db, writer, access_case(db, writer, case_id), env=env))


@router.post("/cases/{case_id}/ai/mode")
def post_mode(case_id: CaseId, body: ModeIn, db: DbSession, writer: Writer) -> dict[str, Any]:
    """Switch the AI off for this case (a person takes over) or on again."""
    state = do_set_ai_mode(db, writer, access_case(db, writer, case_id, for_update=True), AIMode(body.mode))
    return {"mode": str(state.mode), "mode_reason": state.mode_reason}


@router.post("/cases/{case_id}/ai/decisions/{decision_id}/flags", status_code=201)
def post_flag(
    case_id: CaseId,
    decision_id: Annotated[str, Path(max_length=64)],
    body: FlagIn,
    db: DbSession,
    writer: Writer,
) -> FlagOut:
    """Flag an AI reply as wrong, incomplete, outdated or off in tone (counted in the quality report)."""
    flag = do_flag_decision(
        db, writer, access_case(db, writer, case_id), decision_id, body.kind, body.comment
    )
    return FlagOut(id=flag.id, decision_id=flag.decision_id, kind=flag.kind, comment=flag.comment)


@router.get("/ai/quality")
def get_quality(db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """AI replies and how many agents flagged, by kind."""
    return flag_counts(db, principal)


@router.post("/cases/{case_id}/actions/{action}")
def post_action(
    case_id: CaseId, action: ActionName, body: ActionIn, db: DbSession, writer: Writer, env: ShopEnv
) -> ActionOut:
    """Run an action through the same policy layer the AI uses; without ``confirm`` it only previews."""
    case = access_case(db, writer, case_id, for_update=body.confirm)
    outcome = do_agent_action(db, writer, case, action, body.args, confirm=body.confirm, env=env)
    return ActionOut.model_validate(jsonable_encoder(outcome.as_dict()))
