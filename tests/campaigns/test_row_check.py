"""The quick yes/no of a row's problems agrees with the worded pre-flight check on every kind of row."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pushadmin.campaigns.preflight import extended_params_problem, row_problems
from pushadmin.campaigns.rendering import template_placeholders
from pushadmin.campaigns.row_check import QuickCheck
from pushadmin.mpaas.validation import MAX_CONTENT_LENGTH, MAX_TITLE_LENGTH

TEMPLATES = [
    ("#name#, a gift", "Hello #name#, you won #money# yuan. #name#, see #link#"),
    ("Static title", "No markers at all"),
    ("#a#", "#a##b# and #b#"),
    ("x" * (MAX_TITLE_LENGTH - 3) + "#t#", "y" * (MAX_CONTENT_LENGTH - 8) + "#body#"),
]
WORDS = ["", " ", "Li", "张三", "#money#", "a" * 5, "b" * 40, "c" * 300, "d" * 4000, 7, 0, None, "  x  "]
EXTENDED = [None, {"k": "v"}, {"k": 1}, {"a": "1", "b": "2"}, {f"k{i}": "v" for i in range(30)}, {}]


def random_row(rng: random.Random, names: list[str]) -> tuple[dict[str, Any], Any]:
    values = {name: rng.choice(WORDS) for name in names if rng.random() < 0.9}
    if rng.random() < 0.1:
        values["stranger"] = "x"
    return values, rng.choice(EXTENDED)


@pytest.mark.parametrize(("title", "content"), TEMPLATES)
@pytest.mark.parametrize("fallback", [None, {"name": "Customer", "money": ""}, {"t": "T", "body": "z" * 9}])
def test_the_quick_check_says_yes_exactly_when_the_worded_check_finds_a_problem(
    title: str, content: str, fallback: dict[str, str] | None
) -> None:
    names = template_placeholders(title, content)
    quick = QuickCheck(title, content, names, fallback, extended_params_problem)
    rng = random.Random(f"{title}{content}{fallback}")
    disagreements = []
    for _ in range(3000):
        values, extended = random_row(rng, names)
        worded = row_problems(names, values, extended, fallback, template=(title, content))
        said = quick.has_problem(values, None if extended is None else json.dumps(extended))
        if said != bool(worded):
            disagreements.append((values, extended, worded))
    assert not disagreements[:3]


def test_a_text_exactly_at_its_limit_passes_and_one_character_more_does_not() -> None:
    title, content = "#t#", "#body#"
    names = ["t", "body"]
    quick = QuickCheck(title, content, names, None, extended_params_problem)
    assert not quick.has_problem({"t": "x" * MAX_TITLE_LENGTH, "body": "y" * MAX_CONTENT_LENGTH}, None)
    assert quick.has_problem({"t": "x" * (MAX_TITLE_LENGTH + 1), "body": "y"}, None)
    assert quick.has_problem({"t": "x", "body": "y" * (MAX_CONTENT_LENGTH + 1)}, None)
