"""The NLU contract on clear examples (models from the session fixture ``nlu`` in tests/ai/conftest.py)."""

import numpy as np
import pytest

from sprawa.ai.nlu import INTENTS, REASON_CODES, Understanding, case_mood_trend, get_nlu
from sprawa.ai.nlu.language import LanguageDetector
from sprawa.ai.nlu.normalize import fold, restore_diacritics


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("daj mi kogos z obslugi", "pl"),
        ("Where is my order?", "en"),
        ("Де моє замовлення?", "uk"),
        ("Wo ist meine Bestellung?", "de"),
    ],
)
def test_language(nlu, text: str, language: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.understand(text).language == language


def test_short_text_inherits_case_language(nlu) -> None:  # type: ignore[no-untyped-def]
    detector: LanguageDetector = nlu.languages
    assert detector.detect("ok", fallback="de") == ("de", 0.0)
    assert detector.detect("620123456789012345678901", fallback="uk")[0] == "uk"


def test_diacritics_and_folding() -> None:
    assert restore_diacritics("kiedy dostane zamowienie") == "kiedy dostanę zamówienie"
    assert fold("ŻÓŁĆ Straße Ґанок") == "zolc strasse ґанок"


def test_normalized_restores_polish_only(nlu) -> None:  # type: ignore[no-untyped-def]
    assert nlu.understand("hej, zamowilem w poniedzialek i dalej nic").normalized == (
        "hej, zamówiłem w poniedziałek i dalej nic"
    )
    assert nlu.understand("Where  is my\norder?").normalized == "Where is my order?"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Gdzie jest moja paczka? Zamówienie 12345", "order_status"),
        ("chce anulowac zamowienie", "cancel_order"),
        ("Chcę zwrócić buty, są za małe", "return_request"),
        ("Przyszedł uszkodzony towar", "complaint"),
        ("Potrzebuję faktury na firmę", "invoice"),
        ("Do której jesteście otwarci?", "store_info"),
        ("Czy ta kurtka jest wodoodporna?", "product_question"),
        ("Ile kosztuje wysyłka do Niemiec?", "shipping_info"),
        ("Zapłaciłem BLIKiem, a status dalej nieopłacone", "payment_issue"),
        ("Kiedy dostanę zwrot pieniędzy?", "refund_status"),
        ("I want to cancel my order", "cancel_order"),
        ("When will my refund arrive?", "refund_status"),
        ("Хочу повернути взуття, воно замале", "return_request"),
        ("Ich möchte mit einem Menschen sprechen", "human_request"),
        ("Vielen Dank!", "other"),
    ],
)
def test_intent_on_clear_examples(nlu, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    u = nlu.understand(text)
    assert u.intent == intent
    assert 0 <= u.intent_confidence <= 1
    assert u.alternatives[0][0] == intent and len(u.alternatives) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Przyszedł uszkodzony czajnik", "complaint"),
        ("daj mi kogoś z obsługi", "human_request"),
        ("To już trzeci raz piszę, gdzie paczka", "repeat_contact"),
        ("Zgłaszam sprawę do UOKiK", "legal"),
        ("If you don't refund me I'm filing a chargeback", "legal"),
        ("Po kremie dostałam wysypki", "health_safety"),
        ("Proszę usunąć moje dane zgodnie z RODO", "data_protection"),
        ("Jesteście oszustami, żenada!!!", "frustration"),
        ("GDZIE JEST MOJA PACZKA?! CZEKAM DWA TYGODNIE!!!", "frustration"),
    ],
)
def test_escalate_at_once(nlu, text: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    u = nlu.understand(text)
    assert u.escalate and reason in u.escalation_reasons
    assert set(u.escalation_reasons) <= set(REASON_CODES)


@pytest.mark.parametrize(
    "text",
    ["Gdzie jest moja paczka?", "Pilne!!! Kiedy dojdzie paczka?", "Ile kosztuje wysyłka?", "Dziękuję!"],
)
def test_routine_and_mild_impatience_do_not_escalate(nlu, text: str) -> None:  # type: ignore[no-untyped-def]
    u = nlu.understand(text)
    assert not u.escalate and u.escalation_reasons == []


def test_frustration_ordering(nlu) -> None:  # type: ignore[no-untyped-def]
    calm = nlu.understand("Dzień dobry, kiedy wyślecie moje zamówienie?")
    impatient = nlu.understand("Kiedy wyślecie moje zamówienie?!!!")
    angry = nlu.understand("Skandal, trzeci raz piszę i nikt nie odpowiada, oszuści!")
    assert calm.frustration < impatient.frustration < angry.frustration
    assert angry.frustration >= 0.8 and calm.frustration < 0.3
    assert {"insult", "repeat_contact"} <= set(angry.frustration_signals)
    assert "exclamations" in impatient.frustration_signals


def test_case_mood_trend() -> None:
    assert case_mood_trend([]) == "steady"
    assert case_mood_trend([0.1]) == "steady"
    assert case_mood_trend([0.1, 0.2, 0.6, 0.8]) == "rising"
    assert case_mood_trend([0.9, 0.8, 0.2, 0.1]) == "falling"
    assert case_mood_trend([0.3, 0.35, 0.3, 0.32]) == "steady"


def test_as_json_is_the_triage_contract(nlu) -> None:  # type: ignore[no-untyped-def]
    u = nlu.understand("zamówienie 12345, mail jan@example.pl")
    assert isinstance(u, Understanding)
    out = u.as_json("m-1")
    assert list(out) == [
        "id", "language", "intent", "intent_confidence", "alternatives",
        "frustration", "escalate", "escalation_reasons", "entities",
    ]  # fmt: skip
    assert out["id"] == "m-1" and out["intent"] in (*INTENTS, "unknown")
    assert all(isinstance(a, list) and len(a) == 2 for a in out["alternatives"])
    assert out["entities"]["order_numbers"] == ["12345"] and out["entities"]["emails"] == ["jan@example.pl"]


def test_unknown_below_threshold(nlu) -> None:  # type: ignore[no-untyped-def]
    model = nlu.intent_model
    flat = np.full(len(model.classes), 1 / len(model.classes))
    assert model.decide(flat)[0] == "unknown"


def test_embeddings_are_normalised_and_singleton_is_shared(nlu) -> None:  # type: ignore[no-untyped-def]
    q = nlu.embed_queries(["gdzie paczka", "where is my parcel"])
    p = nlu.embed_passages(["Wysyłka trwa 1-2 dni robocze."])
    assert q.shape == (2, 384) and p.shape == (1, 384)
    assert np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-3)
    assert get_nlu() is nlu


def test_email_quoted_history_is_left_out(nlu) -> None:  # type: ignore[no-untyped-def]
    body = (
        "Dziękuję, wszystko doszło.\n\nW dniu 12.11.2026 o 10:00 Sklep <sklep@example.pl> napisał:\n"
        "> Chcę złożyć reklamację, zamówienie 55123 przyszło uszkodzone"
    )
    u = nlu.understand(body, channel="email")
    assert u.intent == "other" and not u.escalate and u.entities.order_numbers == []
    assert nlu.understand(body, channel="webchat").entities.order_numbers == ["55123"]


def test_lemmas(nlu) -> None:  # type: ignore[no-untyped-def]
    assert "but" in nlu.lemmatize("Buty są za małe", "pl")
    assert nlu.lemmatize("Wo ist meine Bestellung", "de")[-1] == "bestellung"
