"""On-disk cache of embeddings and trained classifiers, keyed by content hashes.

Default location: ``Settings.nlu_cache_dir`` (``SPRAWA_NLU_CACHE_DIR``), else
``$XDG_CACHE_HOME/sprawa/nlu`` (``~/.cache/sprawa/nlu``): outside the data directory on purpose, so
every database, test run and process on the machine reuses one trained classifier. Files are written
atomically (temp file + rename), so concurrent processes never read a half-written file; a stale entry
is simply never looked up again (new hash).
"""

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
_SAVE_EVERY = 1024


def default_cache_dir(configured: Path | None = None) -> Path:
    if configured is not None:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sprawa" / "nlu"


class NpzCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, name: str) -> dict[str, np.ndarray] | None:
        path = self.directory / f"{name}.npz"
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            log.warning("nlu cache entry %s unreadable (%s); rebuilding", path, exc)
            return None

    def save(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, self.directory / f"{name}.npz")
        except OSError as exc:  # read-only home: keep working from memory
            log.warning("nlu cache not writable (%s): %s", self.directory, exc)

    def vectors(
        self, model_id: str, kind: str, texts: list[str], embed: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        """Embeddings of ``texts``; each distinct text is embedded once per (model, kind) and kept on disk."""
        name = f"vectors-{kind}-{hashlib.sha256(model_id.encode()).hexdigest()[:12]}"
        stored = self.load(name)
        keys = [_text_key(t) for t in texts]
        known: dict[str, int] = {}
        old_keys, old_vectors = np.array([], dtype="U32"), np.zeros((0, 384), dtype=np.float16)
        if stored is not None:
            old_keys, old_vectors = stored["keys"], stored["v"]
            known = {str(k): i for i, k in enumerate(old_keys)}
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
        # Saved every chunk, so an interrupted run over thousands of texts keeps what it computed.
        for start in range(0, len(missing), _SAVE_EVERY):
            chunk = missing[start : start + _SAVE_EVERY]
            fresh = embed(chunk).astype(np.float16)
            for offset, text in enumerate(chunk):
                known[_text_key(text)] = len(old_keys) + offset
            old_keys = np.concatenate([old_keys, np.array([_text_key(t) for t in chunk], dtype="U32")])
            old_vectors = np.concatenate([old_vectors, fresh])
            self.save(name, {"keys": old_keys, "v": old_vectors})
        return old_vectors[[known[k] for k in keys]].astype(np.float32)


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
