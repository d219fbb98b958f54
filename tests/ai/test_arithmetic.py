"""The τ² calculator: Python's values and error texts, but no unbounded work and nothing but arithmetic."""

import pytest

from sprawa.ai.arithmetic import ExpressionError, evaluate


@pytest.mark.parametrize("expression", ["1+2*3", "(10 - 2) / 4", "2**10", "-3.5*2", "0.1+0.2", "7/2"])
def test_values_match_python(expression: str) -> None:
    assert evaluate(expression) == eval(expression)  # noqa: S307 - the reference the benchmark uses


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1/0", "division by zero"),
        ("1+", "invalid syntax (<string>, line 1)"),
        ("9**9**9**9", "Expression too large"),
        ("__import__('os')", "Invalid characters in expression"),
    ],
)
def test_errors(expression: str, message: str) -> None:
    with pytest.raises((ExpressionError, ZeroDivisionError, SyntaxError)) as raised:
        evaluate(expression)
    assert str(raised.value) == message
