import datetime as dt

import pytest

from sprawa.ai.nlu.entities import Entities, extract_entities

TODAY = dt.date(2026, 11, 23)


def found(text: str, **kwargs) -> dict:
    return {k: v for k, v in extract_entities(text, today=TODAY, **kwargs).as_dict().items() if v}


@pytest.mark.parametrize(
    ("text", "number", "carrier"),
    [
        ("paczka 620123456789012345678901 stoi", "620123456789012345678901", "inpost"),
        ("DPD 1000123456789U", "1000123456789U", "dpd"),
        ("list RR000012349PL", "RR000012349PL", "poczta_polska"),
        ("Pocztex PX1234567890", "PX1234567890", "poczta_polska"),
        ("JJD000030123456789012", "JJD000030123456789012", "dhl"),
        ("kurier DHL, numer 3001234567", "3001234567", "dhl"),
        ("Allegro One A0100AA0A0", "A0100AA0A0", "allegro"),
    ],
)
def test_tracking_numbers_by_carrier(text: str, number: str, carrier: str) -> None:
    assert found(text) == {"tracking_numbers": [{"number": number, "carrier": carrier}]}


def test_tracking_negatives() -> None:
    # Bad S10 check digit; a bare 10-digit number without "DHL" is not a DHL number.
    assert "tracking_numbers" not in found("list RR123456789PL")
    assert "tracking_numbers" not in found("numer 3001234567")


def test_order_numbers_default_and_shop_patterns() -> None:
    assert found("Gdzie jest zamówienie nr 48213?") == {"order_numbers": ["48213"]}
    assert found("Bestellung Nr. 2026-4411") == {"order_numbers": ["2026-4411"]}
    assert found("order #A1234") == {"order_numbers": ["A1234"]}
    assert found("Замовлення №55123") == {"order_numbers": ["55123"]}
    shop = [r"\b(SK-\d{6})\b"]
    assert found("mam SK-123456 i zamówienie 999", order_patterns=shop) == {"order_numbers": ["SK-123456"]}
    assert found("Czy macie rozmiar 42?") == {}
    # A broken shop pattern is skipped, the defaults apply.
    assert found("zamówienie 48213", order_patterns=["(unclosed"]) == {"order_numbers": ["48213"]}


def test_paczkomat_codes() -> None:
    assert found("paczkomat KRA01M albo POZ08A") == {"paczkomat_codes": ["KRA01M", "POZ08A"]}
    assert found("mój paczkomat to GDA117") == {"paczkomat_codes": ["GDA117"]}
    assert found("model XM4 czy XM5") == {}


def test_email_and_phones() -> None:
    assert found("mail anna.nowak+sklep@example.com") == {"emails": ["anna.nowak+sklep@example.com"]}
    assert found("tel. 601 234 567 lub +48 22 123 45 67") == {"phones": ["+48601234567", "+48221234567"]}
    assert found("Call +44 20 7946 0958") == {"phones": ["+442079460958"]}


def test_amounts() -> None:
    assert found("zapłaciłem 149,99 zł i 1 299 PLN") == {
        "amounts": [{"value": "149.99", "currency": "PLN"}, {"value": "1299", "currency": "PLN"}]
    }
    assert found("charged $45.50") == {"amounts": [{"value": "45.50", "currency": "USD"}]}
    assert found("500 грн") == {"amounts": [{"value": "500", "currency": "UAH"}]}
    assert found("kupiłem 2 sztuki") == {}


def test_dates() -> None:
    assert found("zamawiałam 12.10.2026, kurier 3 marca") == {"dates": ["2026-10-12", "2026-03-03"]}
    assert found("ordered 2026-11-02") == {"dates": ["2026-11-02"]}
    assert found("wysłałem wczoraj") == {"dates": ["2026-11-22"]}
    assert found("czekam 3-4 dni") == {}
    assert found("31.02.2026") == {}


def test_nip_checksum() -> None:
    assert found("NIP 526-000-12-46") == {"nips": ["5260001246"]}
    assert found("NIP PL7740001454") == {"nips": ["7740001454"]}
    assert found("NIP 1234567890") == {}


def test_iban_checksum() -> None:
    assert found("konto PL61 1090 1014 0000 0712 1981 2874") == {"ibans": ["PL61109010140000071219812874"]}
    assert found("konto 27114020040000300201355387") == {"ibans": ["PL27114020040000300201355387"]}
    assert found("DE89 3704 0044 0532 0130 00") == {"ibans": ["DE89370400440532013000"]}
    assert found("konto PL61109010140000071219812875") == {}


def test_one_span_is_one_entity() -> None:
    # A 24-digit InPost number is not also a phone, NIP or order number.
    result = found("zamówienie 620123456789012345678901")
    assert result == {"tracking_numbers": [{"number": "620123456789012345678901", "carrier": "inpost"}]}


def test_entities_shape_is_json_ready() -> None:
    assert set(Entities().as_dict()) == {
        "order_numbers", "tracking_numbers", "paczkomat_codes", "emails", "phones",
        "amounts", "dates", "nips", "ibans",
    }  # fmt: skip
    assert not Entities()


def test_greeting_is_not_a_date() -> None:
    assert found("Guten Morgen, wo ist mein Paket?") == {}
