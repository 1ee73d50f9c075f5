"""Formulas from text: a whitelist parser that builds sympy expressions and never evaluates."""

import subprocess
import sys

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from bounds import formula
from bounds.errors import from_expression
from bounds.symbols import N

C = sp.Symbol("C", positive=True)
SYMBOLS = {"N": N, "C": C}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("N**-0.3", N ** sp.Float("-0.3")),
        ("log(N)/sqrt(N)", sp.log(N) / sp.sqrt(N)),
        ("C*N**(-1/5)", C * N ** sp.Rational(-1, 5)),
        ("-(-N) + 2*exp(-N)", N + 2 * sp.exp(-N)),
        ("log(N, 2) + log2(N) + log10(N) + ln(N)", 2 * sp.log(N, 2) + sp.log(N, 10) + sp.log(N)),
        ("max(1, N) - min(N, 2) + abs(-N) + cbrt(N)", sp.Max(1, N) - sp.Min(N, 2) + N + sp.cbrt(N)),
        ("pi * E / N + +N", sp.pi * sp.E / N + N),
        ("2**10 * N", 1024 * N),
        ("1e-3 * N", sp.Float("0.001") * N),
    ],
)
def test_allowed_formulas_give_the_expression_written_by_hand(text, expected):
    assert formula.parse(text, SYMBOLS) == expected


DANGEROUS = [
    "__import__('os').system('touch pwned')",
    "N.__class__.__mro__",
    "(lambda: 1)()",
    "lambda: 1",
    "N[0]",
    "[x for x in (1, 2)]",
    "{x: 1 for x in (1,)}",
    "(x for x in (1,))",
    "'a' * 10",
    "b'a'",
    "f'{N}'",
    "open('f')",
    "eval('1')",
    "N if N else 1",
    "N < 1",
    "N and 1",
    "(N := 2)",
    "log(*[N])",
    "log(N, base=2)",
    "x + 1",
    "Symbol('x')",
    "True + N",
    "None",
    "1j * N",
    "N ^ 2",
    "N % 2",
    "N // 2",
    "N @ N",
    "~N",
    "N; 1",
    "",
    "   ",
    "log",
    "log()",
    "exp(N, N)",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_anything_outside_the_whitelist_is_refused_naming_the_formula(text):
    with pytest.raises(ValueError, match="formula") as caught:
        formula.parse(text, SYMBOLS)
    if text.strip():
        assert repr(text) in str(caught.value)  # the message quotes the formula


@pytest.mark.parametrize(
    "text",
    [
        "9**9**9",
        "2**100000",
        "10**-5000",
        "N**1e7",
        "1e400 * N",
        "N" + "+N" * 500,
        "-" * 300 + "N",
        "exp(" * 60 + "N" + ")" * 60,
        "(" * 300 + "N" + ")" * 300,
        "1" * 1001,
    ],
)
def test_huge_formulas_and_numbers_are_refused_quickly(text):
    with pytest.raises(ValueError, match="formula"):
        formula.parse(text, SYMBOLS)


def test_a_formula_must_be_text():
    with pytest.raises(TypeError, match="formula must be a string"):
        formula.parse(3, SYMBOLS)


def test_the_shell_command_never_runs(tmp_path):
    """The reproduced exploit of the command line: no file appears, one line, exit 2."""
    target = tmp_path / "pwned"
    text = f"__import__('os').system('touch {target}')+N**-0.3"
    done = subprocess.run(
        [sys.executable, "-m", "bounds", "formula", "replace", "--N", "100"]
        + ["--model", "expression", "--expression", text],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert not target.exists()
    assert len(done.stderr.splitlines()) == 1 and "not allowed" in done.stderr


def test_from_expression_parses_strings_with_the_whitelist():
    with pytest.raises(ValueError, match="expr"):
        from_expression("__import__('os').getcwd() + N")
    model = from_expression("C*N**-0.5", constants={"C": 2.0})
    assert model(100.0) == pytest.approx(0.2, rel=1e-14)


numbers = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(numbers, numbers, st.integers(min_value=-5, max_value=5), st.floats(1.0, 1e9))
def test_parsed_arithmetic_agrees_with_python(a, b, k, n):
    """The parser's tree, evaluated by sympy, equals Python's arithmetic on the same numbers."""
    text = f"{a!r} * N**{k} + {b!r} / N - exp(-{a!r})"
    expr = formula.parse(text, SYMBOLS)
    value = float(expr.subs(N, n))
    expected = a * n**k + b / n - __import__("math").exp(-a)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_a_wrong_parser_would_be_caught():
    """Negative control: a parser that swapped - for + would fail the agreement above."""
    expr = formula.parse("N - 1", SYMBOLS)
    assert expr.subs(N, 3) == 2 and expr.subs(N, 3) != 4


def test_domain_lets_log_over_sqrt_through():
    text = "log(N)/sqrt(N)"
    with pytest.raises(ValueError, match="N >= 1"):
        from_expression(text)  # zero at N = 1
    model = from_expression(text, N_min=2)
    assert model.N_min == 2.0
    assert model(100.0) == pytest.approx(__import__("math").log(100) / 10, rel=1e-14)
    with pytest.raises(ValueError, match="N must be"):
        model(1.5)  # outside the stated domain
    with pytest.raises(ValueError, match="declared decreasing but rises"):
        from_expression(text, decreasing=True, N_min=2)  # rises until N = e^2
    assert from_expression(text, decreasing=True, N_min=8).decreasing


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "2", None, True, 1e301])
def test_domain_is_validated(bad):
    with pytest.raises((ValueError, TypeError), match="N_min"):
        from_expression("1/N", N_min=bad)
