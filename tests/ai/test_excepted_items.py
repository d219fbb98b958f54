"""Art. 38 items named in the AI's return confirmation: sealed goods may come back unopened, others never."""

from types import SimpleNamespace

from sprawa.ai.actions.policy import excepted_data
from sprawa.ai.responder.templates import T


def _line(name: str, exception: str | None) -> SimpleNamespace:
    return SimpleNamespace(name=name, withdrawal_exception=exception)


def test_sealed_and_always_excepted_items_are_told_apart() -> None:
    lines = [
        _line("Krem do twarzy", "sealed_hygiene"),
        _line("Tort na zamówienie", "made_to_order"),
        _line("Kubek", None),
    ]
    assert excepted_data(lines) == {
        "excepted_items": ["Tort na zamówienie"],
        "sealed_items": ["Krem do twarzy"],
    }
    assert excepted_data([_line("Kubek", None)]) == {}


def test_the_sealed_wording_promises_a_return_of_unopened_goods_in_every_language() -> None:
    sealed = T["return_sealed"]
    assert set(sealed) == {"pl", "en", "uk", "de"}
    assert "nienaruszonym" in sealed["pl"] and "nie podlega" not in sealed["pl"]
    assert "unopened" in sealed["en"]
