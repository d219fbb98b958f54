"""Language identification (py3langid) restricted to the languages a shop sees.

Very short or ambiguous messages ("ok", "hej") are unreliable with any detector: below a length or
confidence floor the caller's fallback (the case language, else Polish) wins.
"""

import re

DEFAULT_LANGUAGES = ("pl", "en", "uk", "de", "cs", "sk", "ru", "fr", "es", "it", "lt")
_MIN_LETTERS = 4
_MIN_CONFIDENCE = 0.6
_RUSSIAN_SURE = 0.8
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Tokens that carry no language: e-mails, URLs, tracking/order numbers.
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_RUSSIAN = re.compile("[ыэъёЫЭЪЁ]")
_NOISE = re.compile(r"\S+@\S+|https?://\S+|\b\w*\d\w*\b")


class LanguageDetector:
    """``detect(text, fallback)`` → ISO 639-1 code."""

    def __init__(self, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(languages))

    def detect(self, text: str, fallback: str = "pl") -> tuple[str, float]:
        clean = _NOISE.sub(" ", text)
        if len(_LETTERS.findall(clean)) < _MIN_LETTERS:
            return fallback, 0.0
        language, confidence = self._identifier.classify(clean)
        letters = _LETTERS.findall(clean)
        if sum(_CYRILLIC.match(c) is not None for c in letters) * 2 > len(letters):
            return self._cyrillic(clean, str(language), float(confidence))
        if confidence < _MIN_CONFIDENCE:
            return fallback, float(confidence)
        return str(language), float(confidence)

    def _cyrillic(self, text: str, language: str, confidence: float) -> tuple[str, float]:
        """Ukrainian or Russian (never a Latin-script fallback). Short Ukrainian messages often score as
        Russian: letters found only in Ukrainian decide; without them, a text lacking every Russian-only
        letter is Ukrainian unless the detector is sure."""
        if language not in {"uk", "ru"}:
            scores = dict(self._identifier.rank(text))
            language = "uk" if scores.get("uk", 0) >= scores.get("ru", 0) else "ru"
        if (
            language == "ru"
            and not _RUSSIAN.search(text)
            and (_UKRAINIAN.search(text) or confidence < _RUSSIAN_SURE)
        ):
            return "uk", confidence
        return language, confidence
