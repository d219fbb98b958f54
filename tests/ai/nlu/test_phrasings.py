"""Phrasings the classifier once misread, and new ones in the same shapes, none of them trained on.

Greetings before the request, order numbers, conditional and feminine verb forms ("chciałabym",
"mogłabym", "хотіла б"), Ukrainian with Latin look-alike letters. The list is not in the training file
nor in the held-out test file (checked below), so it measures generalisation, not memory.
"""

import pytest

from sprawa.ai.nlu import classifier_key, prepare_for_embedding
from sprawa.ai.nlu.dataset import TEST_FILE, TRAIN_FILE, load_examples
from sprawa.ai.nlu.normalize import fix_cyrillic, strip_greeting

PHRASINGS = [
    ("Dzień dobry, chciałabym oddać te buty", "pl", "return_request"),
    ("Witam, chciałbym zwrócić kurtkę z zamówienia 100871", "pl", "return_request"),
    ("chcialabym odeslac sukienke, nie pasuje", "pl", "return_request"),
    ("Chciałybyśmy oddać dwie bluzy, są za duże", "pl", "return_request"),
    ("Czy mogłabym odesłać spodnie z zamówienia 204511?", "pl", "return_request"),
    ("Hi there, I would like to send back the sneakers from order 100871", "en", "return_request"),
    ("Hallo, ich würde gerne die Jacke aus Bestellung 100871 zurückgeben", "de", "return_request"),
    ("Добрий день, я хотіла б повернути ці черевики", "uk", "return_request"),
    ("Хотів би повернути куртку з замовлення 100871", "uk", "return_request"),
    ("Proszę anulować moje zamówienie 100871", "pl", "cancel_order"),
    ("Dzień dobry, proszę o anulowanie zamówienia", "pl", "cancel_order"),
    ("Chciałabym zrezygnować z zamówienia, jeszcze nie wysłane", "pl", "cancel_order"),
    ("prosze anulowac zamowienie nr 204511", "pl", "cancel_order"),
    ("Hello, please cancel order 100871", "en", "cancel_order"),
    ("Guten Tag, bitte stornieren Sie meine Bestellung 100871", "de", "cancel_order"),
    ("Добрий день, я б хотіла відмовитися від замовлення", "uk", "cancel_order"),
    ("Будь ласка, скасуйте замовлення 100871", "uk", "cancel_order"),
    ("Добрий день! Де моя посилка?", "uk", "order_status"),
    ("де моє замовлення 100871?", "uk", "order_status"),
    ("Коли нарешті приїде моє замовлення?", "uk", "order_status"),
    ("Де моя посилка? Замовлення 204511", "uk", "order_status"),
    ("Dzień dobry, gdzie jest moja paczka?", "pl", "order_status"),
    ("Cześć, kiedy dotrze zamówienie 100871?", "pl", "order_status"),
    ("Chciałabym wiedzieć, co się dzieje z moim zamówieniem", "pl", "order_status"),
    ("Hello, where is my parcel? Order 100871", "en", "order_status"),
    ("Hallo, wo bleibt mein Paket? Bestellung 100871", "de", "order_status"),
    ("Dzień dobry, chciałabym zmienić adres dostawy w zamówieniu 100871", "pl", "change_order"),
    ("Czy mogłabym dopisać jeszcze jedną rzecz do zamówienia?", "pl", "change_order"),
    ("Hi, could I change the size in my order 100871 before it ships?", "en", "change_order"),
    ("Чи можна змінити адресу доставки в замовленні 100871?", "uk", "change_order"),
    ("Kann ich die Lieferadresse in Bestellung 100871 noch ändern?", "de", "change_order"),
    ("Dzień dobry, kiedy dostanę zwrot pieniędzy za oddane buty?", "pl", "refund_status"),
    ("Вже місяць чекаю на повернення коштів за куртку", "uk", "refund_status"),
    ("Hello, I returned the jacket two weeks ago and still no refund", "en", "refund_status"),
    ("Dzień dobry, buty z zamówienia 100871 rozkleiły się po tygodniu", "pl", "complaint"),
    ("Добрий день, куртка прийшла з дірою", "uk", "complaint"),
    ("Hallo, der Reißverschluss ist nach zwei Tagen kaputt gegangen", "de", "complaint"),
    ("Dzień dobry, chciałabym porozmawiać z konsultantem", "pl", "human_request"),
    ("Можна поговорити з живою людиною?", "uk", "human_request"),
    ("Dzień dobry, potrzebuję faktury na firmę do zamówienia 100871", "pl", "invoice"),
    ("Потрібен рахунок-фактура на замовлення 100871", "uk", "invoice"),
    ("Witam, zapłaciłam BLIKiem a zamówienie 100871 nadal nieopłacone", "pl", "payment_issue"),
    ("Гроші з картки списали, а в замовленні статус неоплачено", "uk", "payment_issue"),
    ("Dzień dobry, ile kosztuje wysyłka do paczkomatu?", "pl", "shipping_info"),
    ("Скільки коштує доставка до поштомату?", "uk", "shipping_info"),
    ("Dzień dobry, czy te buty będą dostępne w rozmiarze 40?", "pl", "product_question"),
    ("Чи є ця куртка в розмірі M?", "uk", "product_question"),
    ("Dzień dobry, w jakich godzinach działa infolinia?", "pl", "store_info"),
    ("Dzień dobry, dziękuję za szybką odpowiedź", "pl", "other"),
    ("Дякую, все гаразд", "uk", "other"),
    ("Dziękuję bardzo, wszystko jasne", "pl", "other"),
]


@pytest.mark.parametrize(("text", "language", "intent"), PHRASINGS)
def test_phrasing(nlu, text: str, language: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    assert nlu.understand(text, case_language=language).intent == intent


def test_phrasings_are_neither_trained_on_nor_in_the_held_out_split() -> None:
    known = {e.text.casefold() for e in [*load_examples(TRAIN_FILE), *load_examples(TEST_FILE)]}
    assert not {text.casefold() for text, _, _ in PHRASINGS} & known


def test_the_reported_misreads(nlu) -> None:  # type: ignore[no-untyped-def]
    assert nlu.understand("Chciałabym oddać te buty").intent == "return_request"
    assert nlu.understand("Proszę anulować zamówienie").intent == "cancel_order"
    assert nlu.understand("Де моя посилка?").intent == "order_status"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dzień dobry, chciałabym oddać te buty", "chciałabym oddać te buty"),
        ("Hi there, where's my parcel?", "where's my parcel?"),
        ("Добрий день! Де моя посилка?", "Де моя посилка?"),
        ("Guten Tag, bitte stornieren", "bitte stornieren"),
        ("Dzień dobry", "Dzień dobry"),  # a greeting alone stays a greeting
        ("Witam serdecznie", "Witam serdecznie"),
        ("Hallo!!! Paket?", "Hallo!!! Paket?"),  # one word after it: not enough to drop the greeting
        ("Hierbei geht es um", "Hierbei geht es um"),  # "hi" only as a word of its own
    ],
)
def test_strip_greeting(text: str, expected: str) -> None:
    assert strip_greeting(text) == expected


def test_fix_cyrillic() -> None:
    # Latin "e", "o", "a" inside Ukrainian words; typographic apostrophes; decomposed "й".
    assert fix_cyrillic("Дe мoя пoсилкa?") == "Де моя посилка?"
    assert fix_cyrillic("З’єднайте зʼєднайте") == "З'єднайте з'єднайте"
    assert fix_cyrillic("мои\u0306") == "мой"
    assert fix_cyrillic("order 100871, Hello") == "order 100871, Hello"  # Latin words are left alone


def test_look_alike_letters_read_like_cyrillic(nlu) -> None:  # type: ignore[no-untyped-def]
    plain, mixed = nlu.understand("Де моя посилка?"), nlu.understand("Дe мoя пoсилкa?")
    assert mixed.language == "uk" and mixed.normalized == plain.normalized
    assert (mixed.intent, mixed.intent_confidence) == (plain.intent, plain.intent_confidence)


def test_the_classifier_input_is_the_same_at_training_and_at_inference() -> None:
    assert prepare_for_embedding("dzien dobry, chcialabym oddac buty", "pl") == "chciałabym oddać buty"


def test_cache_key_follows_the_training_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "train.jsonl"
    copy.write_bytes(TRAIN_FILE.read_bytes())
    assert classifier_key(copy) == classifier_key()
    copy.write_text(
        TRAIN_FILE.read_text(encoding="utf-8") + '{"text": "x", "intent": "other", "lang": "pl"}\n'
    )
    assert classifier_key(copy) != classifier_key()
