"""Language identification (py3langid) restricted to the languages a shop sees.

Very short or ambiguous messages ("ok", "hej") are unreliable with any detector: below a length or
confidence floor the caller's fallback (the case language, else Polish) wins.
"""

import re

DEFAULT_LANGUAGES = ("pl", "en", "uk", "de", "cs", "sk", "ru", "fr", "es", "it", "lt")
_MIN_LETTERS = 4
_MIN_CONFIDENCE = 0.6
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Tokens that carry no language: e-mails, URLs, tracking/order numbers.
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
        if confidence < _MIN_CONFIDENCE:
            return fallback, float(confidence)
        return str(language), float(confidence)
