"""Understanding of one customer message, offline on CPU (DESIGN §5.1). Stable contract:

    from sprawa.ai.nlu import NLU, Entities, Understanding, case_mood_trend, get_nlu
    nlu = get_nlu()      # process-wide, thread-safe lazy singleton; models load once
    u = nlu.understand(text, channel="webchat", order_patterns=None, case_language=None, today=None)
    u.language            "pl" | "en" | "uk" | "de" | another ISO 639-1 code (short text → case_language/"pl")
    u.normalized          whitespace collapsed; Polish diacritics restored ("zamowienie" → "zamówienie")
                          in the first 2,000 characters; Cyrillic in one spelling (no Latin look-alikes)
    u.intent              one of dataset.INTENTS (13 names) or "unknown" (confidence below the threshold)
    u.intent_confidence   calibrated probability of the top intent (0..1)
    u.alternatives        top 3 [(intent, probability)], best first
    u.frustration         0..1; u.frustration_signals e.g. ["insult", "repeat_contact", "caps", "angry_tone"]
    u.escalate            escalate at once (DESIGN §5.1); u.escalation_reasons: codes from REASON_CODES
                          (frustration escalates at frustration.ESCALATION_THRESHOLD;
                          the AI first line applies the workspace's own threshold instead)
    u.entities            Entities (shapes in sprawa.ai.nlu.entities)
    u.as_json(id)         exactly one `sprawa triage` output line (a dict)
    nlu.embed_queries(texts) / nlu.embed_passages(texts) → L2-normalised float32 (n, 384) numpy arrays
    nlu.lemmatize(text, language) → lemmas (lazy; Polish dictionary loads on first use)
    case_mood_trend(scores) → "rising" | "falling" | "steady" (per-message frustration, oldest first)

``channel``: for "email" the quoted earlier message ("> …", "On … wrote:") is left out.
``order_patterns``: the shop's order-number regexes (group 1 = the number); default patterns otherwise.
The intent classifier is trained on first use from ``sprawa/ai/data/intents_train.jsonl`` (~30 s) and
cached (see ``cache.py``); later processes load everything in ~1 s.
"""

import datetime as dt
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sprawa.ai.nlu import triggers
from sprawa.ai.nlu.cache import NpzCache, default_cache_dir
from sprawa.ai.nlu.dataset import INTENTS, TRAIN_FILE, UNKNOWN, file_digest, load_examples
from sprawa.ai.nlu.embedder import MODEL_ID, Embedder
from sprawa.ai.nlu.entities import Entities, extract_entities
from sprawa.ai.nlu.frustration import ANCHORS_FILE, FrustrationModel, case_mood_trend, frustrated
from sprawa.ai.nlu.intent import TRAINER_VERSION, IntentModel
from sprawa.ai.nlu.intent import train as train_intents
from sprawa.ai.nlu.language import LanguageDetector
from sprawa.ai.nlu.normalize import (
    collapse,
    fix_cyrillic,
    fold,
    lemmatize,
    restore_diacritics,
    strip_greeting,
    strip_quoted,
)

__all__ = [
    "INTENTS",
    "NLU",
    "REASON_CODES",
    "UNKNOWN",
    "Entities",
    "Understanding",
    "case_mood_trend",
    "get_nlu",
]

# Escalate-at-once reason codes (a subset of the DESIGN §5.5 codes the escalation engine uses).
REASON_CODES = (
    "human_request",
    "complaint",
    "frustration",
    "repeat_contact",
    "legal",
    "health_safety",
    "data_protection",
)
log = logging.getLogger(__name__)
# The opening of a long e-mail carries its intent; the embedder's cost grows faster than linearly with
# length (measured: 300 chars ≈ 2.5×, 1000 chars ≈ 12× the cost of 100 chars).
_EMBED_CHARS = 400
# Diacritics are restored in the opening only (ogonki costs ~0.1 ms per character).
_RESTORE_CHARS = 2_000
_MAX_CHARS = 20_000


@dataclass(frozen=True)
class Understanding:
    """What one message says (see the module docstring for each field)."""

    language: str
    normalized: str
    intent: str
    intent_confidence: float
    alternatives: list[tuple[str, float]]
    frustration: float
    frustration_signals: list[str]
    escalate: bool
    escalation_reasons: list[str]
    entities: Entities = field(default_factory=Entities)
    language_confidence: float = 0.0

    def as_json(self, id: Any) -> dict[str, Any]:  # noqa: A002 - the contract's field name
        return {
            "id": id,
            "language": self.language,
            "intent": self.intent,
            "intent_confidence": self.intent_confidence,
            "alternatives": [[name, score] for name, score in self.alternatives],
            "frustration": self.frustration,
            "escalate": self.escalate,
            "escalation_reasons": list(self.escalation_reasons),
            "entities": self.entities.as_dict(),
        }


class NLU:
    """Loads the embedder, language detector and classifiers once; ``understand`` is thread-safe."""

    def __init__(self, cache_dir: Path | None = None, train_file: Path = TRAIN_FILE) -> None:
        _single_threaded_blas()
        self.embedder = Embedder()
        self.cache = NpzCache(default_cache_dir(cache_dir))
        self.languages = LanguageDetector()
        key = classifier_key(train_file)
        intent_name, frustration_name = f"intent-{TRAINER_VERSION}-{key}", f"frustration-{key}"
        intent_arrays, frustration_arrays = self.cache.load(intent_name), self.cache.load(frustration_name)
        if intent_arrays is None or frustration_arrays is None:
            # Training: normalising ~1000 utterances alone takes seconds, so only on a cache miss.
            examples = load_examples(train_file)
            prepared = [prepare_for_embedding(e.text, e.lang) for e in examples]
            log.info("training the intent classifier on %d utterances (cached afterwards)", len(prepared))
            vectors = self.cache.vectors(MODEL_ID, "query", prepared, self.embedder.queries)
            intent_arrays = train_intents(vectors, [e.intent for e in examples]).to_arrays()
            calm = np.array([not e.gold_escalate for e in examples])
            frustration_arrays = FrustrationModel.build(self.embedder.queries, vectors[calm]).to_arrays()
            self.cache.save(intent_name, intent_arrays)
            self.cache.save(frustration_name, frustration_arrays)
        self.intent_model = IntentModel.from_arrays(intent_arrays)
        self.frustration_model = FrustrationModel.from_arrays(frustration_arrays)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embedder.queries(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embedder.passages(list(texts))

    def lemmatize(self, text: str, language: str) -> list[str]:
        return lemmatize(text, language)

    def understand(
        self,
        text: str,
        channel: str = "webchat",
        order_patterns: Sequence[str | re.Pattern[str]] | None = None,
        *,
        case_language: str | None = None,
        today: dt.date | None = None,
    ) -> Understanding:
        text = (strip_quoted(text) if channel == "email" else text)[:_MAX_CHARS]
        language, language_confidence = self.languages.detect(text, fallback=case_language or "pl")
        normalized = normalize(text, language)
        vector = self.embedder.queries([_for_classifier(normalized)])
        probs = self.intent_model.probabilities(vector)[0]
        intent, confidence, alternatives = self.intent_model.decide(probs)
        folded = fold(collapse(text))  # folding strips diacritics anyway: rules need no restoration
        frustration, signals = self.frustration_model.score(vector[0], text, folded)
        reasons = escalation_reasons(intent, alternatives, folded, frustration, signals)
        return Understanding(
            language=language,
            normalized=normalized,
            intent=intent,
            intent_confidence=confidence,
            alternatives=alternatives,
            frustration=frustration,
            frustration_signals=signals,
            escalate=bool(reasons),
            escalation_reasons=reasons,
            entities=extract_entities(text, order_patterns, today),
            language_confidence=round(language_confidence, 4),
        )


_NORMALIZATION_VERSION = "n3"
_POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def normalize(text: str, language: str) -> str:
    """Whitespace collapsed; Polish written without diacritics gets them restored in its first
    ``_RESTORE_CHARS`` characters (text that already has Polish diacritics is taken as correctly written
    and left alone); Cyrillic text gets one spelling (``normalize.fix_cyrillic``)."""
    if language == "pl" and not _POLISH_LETTERS.search(text):
        text = restore_diacritics(text[:_RESTORE_CHARS]) + text[_RESTORE_CHARS:]
    if _CYRILLIC.search(text):
        text = fix_cyrillic(text)
    return collapse(text)


def classifier_key(train_file: Path = TRAIN_FILE) -> str:
    """The cache key of the trained models: training data, frustration anchors and text preparation."""
    return f"{file_digest(train_file, ANCHORS_FILE)}-{_NORMALIZATION_VERSION}"


def prepare_for_embedding(text: str, language: str) -> str:
    """The text the classifier sees, identical at training and at inference."""
    return _for_classifier(normalize(text, language))


def _for_classifier(normalized: str) -> str:
    # Changing what this returns must bump _NORMALIZATION_VERSION (the cached classifier's key).
    return strip_greeting(normalized)[:_EMBED_CHARS]


def escalation_reasons(
    intent: str, alternatives: list[tuple[str, float]], folded: str, frustration: float, signals: list[str]
) -> list[str]:
    """DESIGN §5.1 escalate-at-once triggers, in REASON_CODES order.

    An "unknown" message whose most likely reading is a complaint or a request for a person escalates
    too: a person looking at a message that was not a complaint costs less than a missed complaint.
    """
    found = set()
    if intent in {"complaint", "human_request"}:
        found.add(intent)
    elif intent == UNKNOWN and alternatives and alternatives[0][0] in {"complaint", "human_request"}:
        found.add(alternatives[0][0])
    if frustrated(frustration, []):
        found.add("frustration")
    if "repeat_contact" in signals:
        found.add("repeat_contact")
    if triggers.LEGAL.search(folded):
        found.add("legal")
    if triggers.HEALTH_SAFETY.search(folded):
        found.add("health_safety")
    if triggers.DATA_PROTECTION.search(folded):
        found.add("data_protection")
    return [code for code in REASON_CODES if code in found]


def _single_threaded_blas() -> None:
    """One BLAS thread for the whole process: every matrix here is tiny (one message), and on a shared
    2-core machine OpenBLAS worker threads spin against other processes — ogonki's small CNN measured
    p95 181 ms of CPU per message with the default threads and ~1 ms with one."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


_instance: NLU | None = None
_instance_lock = threading.Lock()


def get_nlu(cache_dir: Path | None = None) -> NLU:
    """The process-wide NLU (built on first call; ``cache_dir`` only matters then)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                if cache_dir is None:
                    from sprawa.config import Settings

                    cache_dir = Settings().nlu_cache_dir
                _instance = NLU(cache_dir)
    return _instance
