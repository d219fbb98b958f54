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


# A greeting that opens a message says nothing about what the customer wants, yet in a short message
# it pulls the embedding towards "other" (greetings alone are "other"): it is left out of what the
# classifier sees when at least two words follow it.
_GREETING = re.compile(
    r"^[\W_]*(?:dzie[nń] dobry|dobry wiecz[oó]r|witam(?: serdecznie)?|witajcie|cze[sś][cć]|hej(?:ka)?|siema"
    r"|szanown\w* pa[nń]\w*|(?:hi|hello|hey)(?: there)?|good (?:morning|afternoon|evening)"
    r"|hallo|guten (?:tag|morgen|abend)|moin|servus|sehr geehrte damen und herren"
    r"|добрий (?:день|ранок|вечір)|доброго (?:дня|ранку|вечора)"
    r"|привіт|вітаю|здрастуйте|добридень)(?=[\W_])[\W_]*",
    re.I,
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def strip_greeting(text: str) -> str:
    """ "Dzień dobry, chciałabym oddać buty" → "chciałabym oddać buty"; a greeting alone is kept."""
    rest = _GREETING.sub("", text, count=1)
    return rest if rest != text and len(_WORD.findall(rest)) >= 2 else text


# Cyrillic text typed on a mixed keyboard: Latin look-alikes inside Cyrillic words ("пoсилка" with a
# Latin o), typographic apostrophes in Ukrainian ("з’єднайте", "зʼєднайте") and decomposed letters
# ("й" as и + breve) all become the plain Cyrillic spelling the classifier was trained on.
_HOMOGLYPHS = str.maketrans("aceiopxyACEHIKMOPTXB", "асеіорхуАСЕНІКМОРТХВ")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
_MIXED_WORD = re.compile(r"\b(?=\w*[\u0400-\u04ff])(?=\w*[A-Za-z])\w+\b")


def fix_cyrillic(text: str) -> str:
    """NFC, one apostrophe, and Latin look-alike letters replaced in words that are mostly Cyrillic."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    return _MIXED_WORD.sub(lambda m: m.group(0).translate(_HOMOGLYPHS), text)


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
