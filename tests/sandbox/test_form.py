"""The sandbox's fast form decoder gives exactly the reference decoder's answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushadmin.mpaas import wire
from pushadmin.sandbox.form import decode_form


def _outcome(decoder: object, body: bytes) -> object:
    try:
        return decoder(body)  # type: ignore[operator]
    except ValueError as exc:
        return type(exc)


@settings(max_examples=3000)
@given(st.binary(max_size=40) | st.text(alphabet="ab=&%+2541AFfx\x00\x01é", max_size=30).map(str.encode))
def test_any_bytes_decode_like_the_reference(body: bytes) -> None:
    assert _outcome(decode_form, body) == _outcome(wire.decode_form, body)


@settings(max_examples=1000)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=16)), max_size=6, unique_by=lambda f: f[0]))
def test_encoded_forms_round_trip(fields: list[tuple[str, str]]) -> None:
    body = wire.encode_form(fields)

    assert decode_form(body) == wire.decode_form(body)


@settings(max_examples=3000)
@given(st.text(alphabet="a=&%+0D1fG\r\n", max_size=24).map(str.encode))
def test_line_breaks_and_stray_percents_decode_like_the_reference(body: bytes) -> None:
    assert _outcome(decode_form, body) == _outcome(wire.decode_form, body)


@pytest.mark.parametrize(
    "body",
    [b"a=%", b"a=%4", b"a=%%41", b"a=%41%", b"a=%\nb", b"a=%\r\nb", b"a=%0D%0A", b"a=b=c&d", b"a=%00&b", b"a=%01&b",
     b"a=1&a=2", b"=1", b"a=1&&b=2", b"a=%C3%A9%E4%B8%AD", b"a=%FF", b"n%3Dm=v%26w"],
)  # fmt: skip
def test_awkward_bodies_decode_like_the_reference(body: bytes) -> None:
    assert _outcome(decode_form, body) == _outcome(wire.decode_form, body)
