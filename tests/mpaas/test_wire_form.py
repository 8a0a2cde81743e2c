"""Form encoding and decoding of request bodies."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushadmin.mpaas import wire

from . import vectors as v


def test_encode_form_keeps_order_and_uses_plus_for_space() -> None:
    assert wire.encode_form([("b", "x y"), ("a", "1*~")]) == b"b=x+y&a=1%2A~"


def test_encode_form_is_utf8() -> None:
    assert wire.encode_form([("n", "张三😀")]) == b"n=%E5%BC%A0%E4%B8%89%F0%9F%98%80"


# Any text, surrogates excluded (they cannot be UTF-8 encoded by either side).
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=8))
def test_encode_form_writes_the_bytes_urlencode_writes(fields: list[tuple[str, str]]) -> None:
    assert wire.encode_form(fields) == urlencode(fields, encoding="utf-8", errors="strict").encode("ascii")


def test_encode_form_gives_the_same_bytes_when_its_run_cache_is_warm() -> None:
    fields = [(f"TargetMsg.{n}.TemplateKeyValue", f'{{"name":"Kunde {n} ä","money":"{n}"}}') for n in range(200)]
    expected = urlencode(fields).encode("ascii")
    assert wire.encode_form(fields) == expected
    assert wire.encode_form(fields) == expected


def test_encode_form_refuses_text_that_is_not_utf8_encodable() -> None:
    with pytest.raises(UnicodeEncodeError):
        wire.encode_form([("n", "\ud800")])


def test_decode_form_reads_the_legacy_sdk_body_of_vector_a() -> None:
    assert wire.decode_form(v.A_BODY) == v.BUSINESS


def test_decode_form_keeps_empty_values_and_bare_names() -> None:
    assert wire.decode_form(b"a=&b&c=%2B+") == {"a": "", "b": "", "c": "+ "}


def test_decode_form_of_an_empty_body_is_empty() -> None:
    assert wire.decode_form(b"") == {}


@pytest.mark.parametrize("body", [b"a=%FF", b"a=\xff", b"%C3=1"])
def test_decode_form_rejects_bad_utf8(body: bytes) -> None:
    with pytest.raises(ValueError):
        wire.decode_form(body)


def test_decode_form_rejects_a_repeated_name() -> None:
    with pytest.raises(ValueError, match="more than once"):
        wire.decode_form(b"a=1&a=2")
