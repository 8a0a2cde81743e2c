"""Known-answer tests: the reference's section 5.3 vectors, byte for byte."""

from __future__ import annotations

import pytest

from pushadmin.mpaas import signing, wire

from . import vectors as v


def test_percent_encode_follows_alibaba_rfc3986_rules() -> None:
    assert signing.percent_encode("aZ09-_.~") == "aZ09-_.~"
    assert signing.percent_encode("a b*c+d/e=f&g%") == "a%20b%2Ac%2Bd%2Fe%3Df%26g%25"
    assert signing.percent_encode("é😀") == "%C3%A9%F0%9F%98%80"


def test_sha256_hex_of_empty_body_is_the_documented_constant() -> None:
    assert signing.sha256_hex(b"") == signing.EMPTY_BODY_SHA256


def test_vector_a_legacy_v1_canonical_string_to_sign_and_signature() -> None:
    params = {**v.A_QUERY, **wire.decode_form(v.A_BODY)}
    assert signing.v1_canonical_query(params) == v.A_CANONICAL
    string_to_sign = signing.v1_string_to_sign("POST", params)
    assert string_to_sign == v.A_STRING_TO_SIGN
    assert signing.v1_signature(v.SECRET, string_to_sign) == v.A_SIGNATURE


def test_vector_a_ignores_a_signature_parameter_when_canonicalising() -> None:
    params = {**v.A_QUERY, **v.BUSINESS, "Signature": v.A_SIGNATURE}
    assert signing.v1_canonical_query(params) == v.A_CANONICAL


def test_vector_a2_python_repr_payload_still_signs_validly() -> None:
    params = {
        **v.A_QUERY,
        **v.BUSINESS,
        "TargetMsg.1.TemplateKeyValue": v.A2_TEMPLATE_KV_REPR,
    }
    sts = signing.v1_string_to_sign("POST", params)
    assert signing.v1_signature(v.SECRET, sts) == v.A2_SIGNATURE


def test_vector_b_tea_v1_string_to_sign_and_signature() -> None:
    params = {**v.B_QUERY, **wire.decode_form(v.B_BODY)}
    string_to_sign = signing.v1_string_to_sign("POST", params)
    assert string_to_sign == v.B_STRING_TO_SIGN
    assert signing.v1_signature(v.SECRET, string_to_sign) == v.B_SIGNATURE


def test_vector_b_common_params_are_what_tea_sends() -> None:
    common = signing.v1_common_params(
        access_key_id=v.ACCESS_KEY_ID,
        action="PushMultiple",
        version="2020-07-10",
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
    )
    assert common == v.B_QUERY


def test_vector_b_body_is_sorted_business_fields_encoded_like_the_sdk() -> None:
    assert wire.encode_form(sorted(v.BUSINESS.items())) == v.B_BODY
    assert signing.sha256_hex(v.B_BODY) == v.BODY_SHA256
    assert len(v.B_BODY) == 277


def test_vector_c_v3_with_every_tea_header() -> None:
    canonical = signing.v3_canonical_request("POST", "/", {}, v.C_HEADERS, list(v.C_HEADERS), v.BODY_SHA256)
    assert canonical == v.C_CANONICAL_REQUEST
    sts = signing.v3_string_to_sign(canonical)
    assert sts == v.C_STRING_TO_SIGN
    signature = signing.v3_signature(v.SECRET, sts)
    assert signing.v3_authorization(v.ACCESS_KEY_ID, list(v.C_HEADERS), signature) == (v.C_AUTHORIZATION)


def test_vector_c2_v3_minimal_headers_match_what_the_client_builds() -> None:
    headers = signing.v3_sign_headers(
        access_key_id=v.ACCESS_KEY_ID,
        secret=v.SECRET,
        host=v.HOST,
        action="PushMultiple",
        version="2020-07-10",
        body=v.B_BODY,
        nonce=v.NONCE,
        timestamp=v.TIMESTAMP,
    )
    assert headers["Authorization"] == v.C2_AUTHORIZATION
    canonical = signing.v3_canonical_request("POST", "/", {}, headers, v.C2_SIGNED, v.BODY_SHA256)
    assert signing.v3_string_to_sign(canonical) == v.C2_STRING_TO_SIGN


def test_v3_signed_header_lookup_is_case_insensitive_and_order_free() -> None:
    shuffled = {k.upper(): val for k, val in reversed(list(v.C_HEADERS.items()))}
    canonical = signing.v3_canonical_request("post", "/", {}, shuffled, [h.upper() for h in v.C2_SIGNED], v.BODY_SHA256)
    assert signing.v3_string_to_sign(canonical) == v.C2_STRING_TO_SIGN


def test_v3_canonical_request_refuses_a_signed_header_that_is_absent() -> None:
    with pytest.raises(ValueError, match="x-acs-missing"):
        signing.v3_canonical_request("POST", "/", {}, {}, ["x-acs-missing"], "")


def test_v3_canonical_query_sorts_and_encodes_names_and_values() -> None:
    canonical = signing.v3_canonical_request("GET", "/", {"b": "x y", "a": "", "A*": "~"}, {"host": "h"}, ["host"], "p")
    assert canonical.split("\n")[2] == "A%2A=~&a=&b=x%20y"


def test_parse_v3_authorization_splits_the_three_parts() -> None:
    key, headers, signature = signing.parse_v3_authorization(v.C2_AUTHORIZATION)
    assert key == "testid"
    assert headers == v.C2_SIGNED
    assert signature == "0204a5da4f3e943909344a8fb7062d72f9415bd42cc57e9cf69195c1dc7be990"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA1 Credential=a,SignedHeaders=host,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=a, SignedHeaders=host,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz",
        "ACS3-HMAC-SHA256 SignedHeaders=host,Credential=a,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=ab",
    ],
)
def test_parse_v3_authorization_rejects_malformed_values(value: str) -> None:
    with pytest.raises(ValueError):
        signing.parse_v3_authorization(value)


def test_timestamp_round_trip_and_strict_format() -> None:
    moment = signing.parse_timestamp(v.TIMESTAMP)
    assert signing.format_timestamp(moment) == v.TIMESTAMP
    for bad in (
        "2026-11-26 08:00:00Z",
        "2026-11-26T08:00:00+08:00",
        "2026-11-26T08:00:00.000Z",
    ):
        with pytest.raises(ValueError):
            signing.parse_timestamp(bad)
