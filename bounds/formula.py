"""Formulas from text, parsed and never evaluated: a whitelist over Python's ``ast``.

``parse("C*log(N)/N**0.5", {"N": N, "C": C})`` builds the sympy expression node by node. A
formula may hold numbers, the symbols it is given, ``+ - * / **``, unary minus and plus,
parentheses, the constants ``pi`` and ``E``, and calls of the functions in ``FUNCTIONS``. Anything
else (attribute access, subscripts, lambdas, comprehensions, strings, keywords, other names) is
refused with a ValueError that quotes the formula, before anything is built. Sizes are bounded:
``MAX_LENGTH`` characters, ``MAX_NODES`` syntax nodes, ``MAX_DEPTH`` nesting, and a power of two
numbers must stay under ``MAX_POWER_BITS`` bits, so ``9**9**9`` is refused rather than computed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping

import sympy as sp

MAX_LENGTH = 1000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_POWER_BITS = 4096

FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    "log": (sp.log, (1, 2)),  # log(x) natural, log(x, base)
    "ln": (sp.log, (1,)),
    "log2": (lambda x: sp.log(x, 2), (1,)),
    "log10": (lambda x: sp.log(x, 10), (1,)),
    "exp": (sp.exp, (1,)),
    "sqrt": (sp.sqrt, (1,)),
    "cbrt": (sp.cbrt, (1,)),
    "abs": (sp.Abs, (1,)),
    "min": (sp.Min, (2, 3, 4)),
    "max": (sp.Max, (2, 3, 4)),
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: "assignment",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Await: "await",
}


def parse(text: object, symbols: Mapping[str, sp.Symbol], name: str = "formula") -> sp.Expr:
    """The sympy expression written in ``text``, whose names may be the keys of ``symbols``.

    Raises TypeError if ``text`` is not a string, ValueError (quoting ``text`` and saying what is
    allowed) for anything outside the whitelist, a syntax error, or a formula over the size limits.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    _check_symbols(symbols)
    shown = _shown(text)
    if len(text) > MAX_LENGTH:
        raise ValueError(
            f"{name} {shown} is {len(text)} characters long; at most {MAX_LENGTH} are allowed"
        )
    if not text.strip():
        raise ValueError(f"{name} is empty; write a formula such as 'N**-0.3'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        detail = getattr(error, "msg", None) or type(error).__name__
        raise ValueError(f"{name} {shown} is not a formula ({detail})") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ValueError(f"{name} {shown} has {nodes} parts; at most {MAX_NODES} are allowed")
    return _Builder(shown, symbols, name).build(tree.body, 0)


def _check_symbols(symbols: object) -> None:
    if not isinstance(symbols, Mapping) or not all(
        isinstance(k, str) and k.isidentifier() and isinstance(v, sp.Symbol)
        for k, v in symbols.items()
    ):
        raise TypeError(f"symbols must map names to sympy Symbols, got {symbols!r}"[:200])


def allowed_text(symbols: Mapping[str, sp.Symbol]) -> str:
    """What a formula may contain, in one sentence (for messages and help)."""
    _check_symbols(symbols)
    names = ", ".join([*symbols, *CONSTANTS])
    return (
        f"numbers, the names {names}, + - * / **, parentheses and the functions "
        f"{', '.join(FUNCTIONS)}"
    )


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


class _Builder:
    """Walks a parsed tree, building sympy objects for the whitelisted nodes only."""

    def __init__(self, shown: str, symbols: Mapping[str, sp.Symbol], name: str) -> None:
        self.shown = shown
        self.symbols = dict(symbols)
        self.name = name

    def refuse(self, what: str) -> ValueError:
        return ValueError(
            f"{self.name} {self.shown} uses {what}, which is not allowed; a formula may use "
            f"{allowed_text(self.symbols)}"
        )

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise ValueError(f"{self.name} {self.shown} nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.number(node.value)
        if isinstance(node, ast.Name):
            return self.variable(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.build(node.operand, depth + 1)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.refuse(_NAMES.get(type(node), f"'{type(node).__name__}'"))

    def number(self, value: object) -> sp.Expr:
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "text" if isinstance(value, str | bytes) else repr(value)
            raise self.refuse(kind)
        if isinstance(value, int):
            return sp.Integer(value)
        if not math.isfinite(value):
            raise ValueError(f"{self.name} {self.shown} holds a number too large for a float")
        return sp.Float(repr(value))

    def variable(self, identifier: str) -> sp.Expr:
        if identifier in self.symbols:
            return self.symbols[identifier]
        if identifier in CONSTANTS:
            return CONSTANTS[identifier]
        if identifier in FUNCTIONS:
            raise self.refuse(f"the function {identifier} without arguments")
        raise self.refuse(f"the name {identifier!r}")

    def binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            self.check_power(left, right)
            return left**right
        if isinstance(node.op, ast.BitXor):
            raise self.refuse("'^' (write powers as **)")
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise self.refuse(f"the operator '{type(node.op).__name__}'")
        return operation(left, right)

    def check_power(self, base: sp.Expr, exponent: sp.Expr) -> None:
        """Refuse number**number whose result would need more than MAX_POWER_BITS bits."""
        if not (base.is_number and exponent.is_number):
            if exponent.is_number and exponent.is_real and abs(float(exponent)) > 1e6:
                raise ValueError(f"{self.name} {self.shown} has an exponent above 1e6")
            return
        try:
            size = abs(float(exponent)) * abs(math.log2(abs(float(base)) or 1.0))
        except (TypeError, ValueError, OverflowError):
            size = math.inf
        if not size <= MAX_POWER_BITS:
            raise ValueError(
                f"{self.name} {self.shown} has a power of numbers beyond 2**(+-{MAX_POWER_BITS})"
            )

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.refuse("a call of something other than a named function")
        function = node.func.id
        if function not in FUNCTIONS:
            raise self.refuse(f"the function {function!r}")
        if node.keywords:
            raise self.refuse("keyword arguments")
        build, counts = FUNCTIONS[function]
        if len(node.args) not in counts:
            raise self.refuse(f"{function} with {len(node.args)} argument(s)")
        return build(*(self.build(arg, depth + 1) for arg in node.args))
