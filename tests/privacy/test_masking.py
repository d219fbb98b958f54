"""PII masking for prompts to an external LLM: placeholders out, the same values back in the reply."""

from sprawa.privacy.masking import mask_for_llm, unmask

TEXT = (
    "Dzień dobry, tu Anna Kowalska (anna.k@example.pl, tel. +48 500 100 200). Proszę o zwrot na konto "
    "PL61 1090 1014 0000 0712 1981 2874. Adres: ul. Długa 12/4, 00-950 Warszawa. PESEL 44051401359, "
    "karta 4111 1111 1111 1111. Zamówienie 12345 z 2025-01-31 na 199,99 zł."
)


def test_personal_data_becomes_placeholders_and_comes_back():
    masked, mapping = mask_for_llm(TEXT)
    for value in (
        "Anna",
        "Kowalska",
        "anna.k@example.pl",
        "500 100 200",
        "PL61",
        "Długa",
        "00-950",
        "44051401359",
        "4111",
    ):
        assert value not in masked
    for kept in ("12345", "2025-01-31", "199,99 zł"):  # order numbers, dates and amounts stay usable
        assert kept in masked
    assert unmask(masked, mapping) == TEXT
    reply = "Pani [NAME_1], zwrot trafi na [IBAN_1]. Napiszemy na [EMAIL_1]."
    assert (
        unmask(reply, mapping) == "Pani Anna Kowalska, zwrot trafi na PL61 1090 1014 0000 0712 1981 2874. "
        "Napiszemy na anna.k@example.pl."
    )


def test_the_same_value_gets_the_same_placeholder_and_known_names_are_masked():
    masked, mapping = mask_for_llm(
        "Jan pisze do jan@x.pl i znowu do jan@x.pl. Podpisano: Zbyszko", names=["Zbyszko"]
    )
    assert masked.count("[EMAIL_1]") == 2 and "[EMAIL_2]" not in masked
    assert "Zbyszko" not in masked
    assert unmask("[UNKNOWN_1] [EMAIL_1]", mapping) == "[UNKNOWN_1] jan@x.pl"


def test_checksums_decide_pesel_and_card():
    masked, mapping = mask_for_llm("Numer 12345678901 i karta 1234 5678 9012 3456")
    # Long digit runs are still masked (as phone-like numbers), but not mistaken for a PESEL or a card.
    assert "[PESEL_1]" not in masked and "[CARD_1]" not in masked
    assert unmask(masked, mapping) == "Numer 12345678901 i karta 1234 5678 9012 3456"
