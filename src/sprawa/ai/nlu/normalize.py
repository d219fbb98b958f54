"""Normalisation: Polish diacritics restoration (ogonki), folding for keyword rules, lemmas (simplemma).

``restore`` keeps the text length (ogonki maps character to character), so spans found in the restored
text are valid in the original. Lemmas are computed on demand only: simplemma loads its Polish
dictionary lazily (~3 s the first time), which must not slow down triage.
"""

import re
import threading
import unicodedata

_FOLD = str.maketrans({**dict(zip("ąćęłńóśźżäöü", "acelnoszzaou", strict=True)), "ß": "ss"})
_SPACES = re.compile(r"\s+")
# Where an e-mail client starts quoting the previous message (PL/EN/DE/UK clients).
_QUOTE_HEADER = re.compile(
    r"^(?:W dniu .{0,120}(?:pisze|napisał\w*):|On .{0,160}wrote:|Am .{0,120}schrieb .{0,80}:"
    r"|-{2,}\s*(?:Original Message|Wiadomość oryginalna|Ursprüngliche Nachricht)\s*-{2,}"
    r"|(?:From|Od|Von|Від): .+)\s*$",
    re.I | re.M,
)
_lemma_lock = threading.Lock()


def collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def strip_quoted(text: str) -> str:
    """The new part of an e-mail: without the quoted earlier message (``>`` lines, "On … wrote:")."""
    header = _QUOTE_HEADER.search(text)
    if header and header.start() > 0:
        text = text[: header.start()]
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept) if any(line.strip() for line in kept) else text


def restore_diacritics(text: str) -> str:
    """Polish: "kiedy dostane zamowienie" → "kiedy dostanę zamówienie" (already-correct text is kept)."""
    import ogonki

    return str(ogonki.restore(text))


def fold(text: str) -> str:
    """Lower case without Polish/German diacritics, for keyword rules written in plain ASCII.

    Cyrillic is left as it is (NFC), so Ukrainian rules match Ukrainian text.
    """
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def lemmatize(text: str, language: str) -> list[str]:
    """Lemmas of the word tokens (lower case); unknown words are kept as they are."""
    import simplemma

    lang = (
        language if language in {"pl", "en", "de", "uk", "cs", "sk", "ru", "fr", "es", "it", "lt"} else "en"
    )
    tokens = [t for t in simplemma.simple_tokenizer(text) if any(c.isalpha() for c in t)]
    with _lemma_lock:
        return [simplemma.lemmatize(t.lower(), lang=lang).lower() for t in tokens]
