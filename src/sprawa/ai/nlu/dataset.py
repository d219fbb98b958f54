"""The labelled utterances kept in the repository (``sprawa/ai/data/``).

- ``intents_train.jsonl``: training utterances (the classifier's validation split is carved out of these
  by cross-validation).
- ``intents_test.jsonl``: held-out test utterances, never read by training.
- ``entities_test.jsonl``: held-out messages with their expected entities.

Each intent line: ``{"text", "intent", "lang"}`` plus optional ``"escalate": true`` for a message that
must escalate at once although its intent alone would not (anger, legal threats, health/safety, RODO).
Gold escalation is therefore ``intent in {complaint, human_request} or escalate``.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TRAIN_FILE = DATA_DIR / "intents_train.jsonl"
TEST_FILE = DATA_DIR / "intents_test.jsonl"
ENTITIES_TEST_FILE = DATA_DIR / "entities_test.jsonl"

INTENTS: tuple[str, ...] = (
    "order_status",
    "cancel_order",
    "change_order",
    "return_request",
    "complaint",
    "refund_status",
    "product_question",
    "shipping_info",
    "payment_issue",
    "invoice",
    "store_info",
    "human_request",
    "other",
)
UNKNOWN = "unknown"
ESCALATING_INTENTS = frozenset({"complaint", "human_request"})


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    lang: str
    escalate: bool = False

    @property
    def gold_escalate(self) -> bool:
        return self.escalate or self.intent in ESCALATING_INTENTS


def read_jsonl(path: Path) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("//"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from exc
    return rows


def load_examples(path: Path) -> list[Example]:
    examples = []
    for row in read_jsonl(path):
        if row["intent"] not in INTENTS:
            raise ValueError(f"{path.name}: unknown intent {row['intent']!r} in {row['text']!r}")
        examples.append(Example(row["text"], row["intent"], row["lang"], bool(row.get("escalate", False))))
    return examples


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
