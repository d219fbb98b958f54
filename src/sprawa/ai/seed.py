"""Demo set-up of the AI first line: switch it on for the demo shop and build its knowledge index."""

from sqlalchemy.orm import Session

from sprawa.ai.retrieval import refresh_index
from sprawa.workspaces.models import Workspace


def seed_ai(session: Session, workspace: Workspace) -> int:
    """Turn the AI on (after the sample cases, so they stay as seeded) and index the articles."""
    settings = dict(workspace.settings or {})
    settings["ai"] = {"enabled": True, "allowed_links": ["https://lesnapolana.pl/"]}
    workspace.settings = settings
    return refresh_index(session, workspace.id)
