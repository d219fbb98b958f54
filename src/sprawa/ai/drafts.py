"""What agents did with the AI's drafts: each draft is judged against the agent's next reply.

An agent asks for a draft (``service.draft_reply`` records it as an AI decision, step ``draft``), may
paste it into the reply box, edit it, or write something else. Sending goes through the cases
feature, which knows nothing of drafts; the judgement is made here, server-side, by comparing the
sent text with the latest draft before it. The insights refresh calls :func:`judge_drafts` for the
cases it recomputes (every minute and before every dashboard read), so the outcome is on the decision
record within a minute of the reply. Judged drafts are never judged again.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.ai.models import AIDecision
from sprawa.cases.models import AuthorKind, Direction, Message

DRAFT = "draft"
USED, EDITED, DISCARDED = "draft_used", "draft_edited", "draft_discarded"
#: Similarity of the sent reply to the draft (0..1) at which the draft counts as sent as it was
#: (a greeting or a signature added, a typo fixed), and below which the agent wrote their own reply.
USED_AT = 0.8
EDITED_AT = 0.4
# Long e-mails: the comparison is quadratic in the worst case, and the opening decides anyway.
_COMPARED_CHARS = 4000
_SPACES = re.compile(r"\s+")
_CHUNK = 1000


def similarity(draft: str, sent: str) -> float:
    """0..1: how much of the two texts is the same (case and whitespace ignored)."""
    a, b = (_SPACES.sub(" ", t).strip().casefold()[:_COMPARED_CHARS] for t in (draft, sent))
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def outcome(score: float) -> str:
    return USED if score >= USED_AT else EDITED if score >= EDITED_AT else DISCARDED


def judge_drafts(session: Session, case_ids: Sequence[str]) -> int:
    """Record the outcome of every not yet judged draft an agent has replied after; returns how many.

    A reply is compared with the latest draft made before it; an older draft that a newer one replaced
    before anything was sent stays unjudged (the agent asked again).
    """
    judged = 0
    for start in range(0, len(case_ids), _CHUNK):
        chunk = list(case_ids[start : start + _CHUNK])
        drafts = list(
            session.scalars(
                select(AIDecision)
                .where(AIDecision.case_id.in_(chunk), AIDecision.step == DRAFT)
                .order_by(AIDecision.created_at)
            )
        )
        open_drafts = [d for d in drafts if d.draft_use is None and d.reply_text]
        if not open_drafts:
            continue
        cases = sorted({d.case_id for d in open_drafts})
        replies: dict[str, list[Message]] = defaultdict(list)
        for message in session.scalars(
            select(Message)
            .where(
                Message.case_id.in_(cases),
                Message.direction == Direction.OUTBOUND,
                Message.author_kind == AuthorKind.AGENT,
            )
            .order_by(Message.created_at, Message.seq)
        ):
            replies[message.case_id].append(message)
        by_case: dict[str, list[AIDecision]] = defaultdict(list)
        for d in drafts:
            by_case[d.case_id].append(d)
        for case_id, case_drafts in by_case.items():
            judged += _judge_case(case_drafts, replies.get(case_id, []))
    return judged


def _judge_case(drafts: list[AIDecision], replies: list[Message]) -> int:
    judged = 0
    for reply in replies:
        before = [d for d in drafts if d.created_at <= reply.created_at]
        if not before:
            continue
        latest = before[-1]
        if latest.draft_use is not None or not latest.reply_text:
            continue  # already judged (by this reply or an earlier one)
        score = similarity(latest.reply_text, reply.body_text)
        latest.draft_use, latest.draft_similarity = outcome(score), round(score, 3)
        latest.draft_reply_id = reply.id
        judged += 1
    return judged
