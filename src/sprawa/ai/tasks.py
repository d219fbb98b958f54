"""The ``ai.respond`` job: enqueued with the stored customer message, run by the worker."""

from sqlalchemy.orm import Session, sessionmaker

from sprawa.cases.models import Direction, Message
from sprawa.commerce.remote import ConnectorEnv
from sprawa.config import Settings
from sprawa.platform.jobs import Job, enqueue
from sprawa.workspaces.models import Workspace


def enqueue_ai_respond(session: Session, message: Message) -> None:
    """Ask the AI to answer this customer message, in the same transaction that stored it."""
    from sprawa.ai.service import ai_enabled

    if message.direction != Direction.INBOUND:
        return
    workspace = session.get(Workspace, message.workspace_id)
    if workspace is None or not ai_enabled(workspace):
        return
    enqueue(
        session,
        "ai.respond",
        {"message_id": message.id},
        workspace_id=message.workspace_id,
        key=f"ai:{message.id}",
        max_attempts=3,
    )


def run_ai_respond_job(
    settings: Settings, env: ConnectorEnv, factory: sessionmaker[Session], job: Job
) -> None:
    """``env`` reaches the shop (remote platforms) and the optional LLM (its HTTP client)."""
    from sprawa.ai.llm import LLMConfig
    from sprawa.ai.service import respond

    config = LLMConfig(
        settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_seconds
    )
    with factory.begin() as session:
        respond(
            session, job.payload["message_id"], llm=(config, env.http) if config.enabled else None, env=env
        )


def ai_job_dead(session: Session, job: Job) -> None:
    """The AI could not answer (an error every time): the case goes to a person, with the reason noted."""
    from sprawa.ai.service import hand_off_after_failure

    message = session.get(Message, job.payload.get("message_id"))
    if message is not None:
        hand_off_after_failure(session, message, job.last_error or "")
