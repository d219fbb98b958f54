"""The τ² ``calculate`` tool without ``eval``: + - * / ** and parentheses over numbers, with bounded powers.

The benchmark evaluates the expression with Python itself; walking the syntax tree gives the same values
and the same error texts (``division by zero``, ``invalid syntax (<string>, line 1)``) while
``9**9**9**9`` is refused instead of hanging the process.
"""

import ast
import operator
from collections.abc import Callable

CHARACTERS = frozenset("0123456789+-*/(). ")
MAX_EXPONENT = 64
MAX_POWER_BASE = 1e9
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class ExpressionError(ValueError):
    """The expression is not plain arithmetic or is too large to compute."""


def evaluate(expression: str) -> float:
    """The value of ``expression``; Python's own exceptions (e.g. ZeroDivisionError) pass through."""
    if not all(c in CHARACTERS for c in expression):
        raise ExpressionError("Invalid characters in expression")
    tree = compile(expression, "<string>", "eval", ast.PyCF_ONLY_AST)
    return _value(tree.body)


def _value(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _value(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow):
            if abs(right) > MAX_EXPONENT or abs(left) > MAX_POWER_BASE:
                raise ExpressionError("Expression too large")
            return left**right
        if type(node.op) in _BINARY:
            return _BINARY[type(node.op)](left, right)
    raise ExpressionError("Invalid expression")
