"""Whole-call target checks give exactly the answer of checking target by target.

The sandbox checks and renders a call's targets with whole-list operations and
only walks them one by one when something is off; the one-by-one walk over the
generic field grouping is the reference, as it words the refusal for the first
bad target. These properties pin that both agree on every shape of call.
"""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pushadmin.sandbox import push
from pushadmin.sandbox.codes import BusinessError
from pushadmin.sandbox.options import Template

TEMPLATES = [
    Template.build("welcome", "Congratulations", "Hello #name#, congratulations on winning #money# yuan"),
    Template.build("greeting", "Hi #name#", "#name##money#"),
    Template.build("numbered", "#1# {literal} #name#", "{0} #money#"),
    Template.build("fixed", "Notice", "Nothing to fill in"),
    Template.build("short", "#name#", "Body"),
]
VALUES = [
    None,
    "",
    '{"name":"Zhang San","money":"200"}',
    '{"money":"1","name":"李雷 🎉","1":"one"}',
    ' {"name":"a","money":"b"} ',
    '{"name":"a"}',
    '{"name":"","money":""}',
    '{"name":"a","money":200}',
    '{"name":"a","money":"b","extra":null}',
    '["name","money"]',
    "{'name': 'a', 'money': 'b'}",
    '{"name":"a","money":"b"}{"x":"y"}',
    json.dumps({"name": "x" * 201, "money": "y"}),
    json.dumps({"name": "x", "money": "y" * 4000}),
]
TARGETS = [None, "", "user-1", "用户二", "u" * 256, "u" * 257]
MSG_KEYS = [None, "", "k1", "k2", "k3", "k" * 128, "k" * 129]
EXTENDED = [None, None, None, "", '{"a":"b"}', "not json"]

entries = st.tuples(
    st.sampled_from(TARGETS), st.sampled_from(MSG_KEYS), st.sampled_from(VALUES), st.sampled_from(EXTENDED)
)
# Names the SDKs never send but a caller may: gaps, flattened maps, strays.
ODD_FIELDS = [
    ("TargetMsg.7.Target", "late"),
    ("TargetMsg.1.TemplateKeyValue.name", "flat"),
    ("TargetMsg.x.Target", "bad index"),
    ("Other.MsgKey", "k9"),
    ("TargetMsg.2.Unknown", "v"),
]


def _fields(items: list[tuple[str | None, ...]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for index, entry in enumerate(items, 1):
        for suffix, value in zip(("Target", "MsgKey", "TemplateKeyValue", "ExtendedParams"), entry, strict=True):
            if value is not None:
                fields[f"TargetMsg.{index}.{suffix}"] = value
    return fields


def _outcome(action: object) -> object:
    try:
        rows = action()  # type: ignore[operator]
    except BusinessError as error:
        return (error.code, error.message)
    return (rows.msg_keys, rows.targets, rows.titles, rows.contents)


def _one_by_one(params: dict[str, str], template: Template, shared: frozenset[str]) -> push.Rows:
    grouped = push._group_targets_slowly(params)
    if not grouped:
        raise BusinessError("3021", "TargetMsg is empty")
    columns = tuple(map(list, zip(*grouped, strict=True)))
    return push._rows_one_by_one(columns, template, shared)  # type: ignore[arg-type]


def _valid(values: str) -> tuple[str | None, ...]:
    return ("user-1", "k1", values, None)


@settings(max_examples=3000)
@example([_valid('{"name":"","money":""}')], [], TEMPLATES[4], frozenset())  # empty title
@example([_valid(VALUES[12])], [], TEMPLATES[1], frozenset())  # title too long
@example([_valid(VALUES[13])], [], TEMPLATES[0], frozenset())  # content too long
@example([_valid(VALUES[4])], [], TEMPLATES[0], frozenset())  # JSON with spaces around it
@example([_valid(VALUES[3])], [], TEMPLATES[2], frozenset())  # placeholder named by digits
@example([_valid(VALUES[2]), ("user-2", "k1", VALUES[2], None)], [], TEMPLATES[0], frozenset())  # repeated MsgKey
@given(
    st.lists(entries, max_size=5),
    st.lists(st.sampled_from(ODD_FIELDS), max_size=2),
    st.sampled_from(TEMPLATES),
    st.sampled_from([frozenset(), frozenset(f"s{i}" for i in range(20))]),
)
def test_whole_call_checks_give_the_one_by_one_answer(
    items: list[tuple[str | None, ...]],
    odd: list[tuple[str, str]],
    template: Template,
    shared: frozenset[str],
) -> None:
    params = {**_fields(items), **dict(odd)}

    assert _outcome(lambda: push._rows(params, template, shared)) == _outcome(
        lambda: _one_by_one(params, template, shared)
    )


@settings(max_examples=500)
@given(st.lists(entries, min_size=1, max_size=3))
def test_sdk_shaped_calls_group_like_the_generic_grouping(items: list[tuple[str | None, ...]]) -> None:
    params = _fields(items)

    columns = push._target_columns(params)

    assert [tuple(entry) for entry in zip(*columns, strict=True)] == push._group_targets_slowly(params)
