"""Hypothesis against the two parsers of untrusted text: the placeholder renderer and the CSV reader."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushadmin.audiences.csv_reading import CsvFileError, CsvStream, Member, RowReject
from pushadmin.campaigns import rendering

NAMES = st.sampled_from(["name", "money", "城市", "a_b", "x1"])
# Text with no '#': the renderer's only special character.
LITERAL = st.text(st.characters(blacklist_characters="#", blacklist_categories=("Cs",)), max_size=30)
VALUE = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda v: v.strip())
HOSTILE_VALUES = st.sampled_from(
    ["#money#", "{{ secret }}", "{% debug %}", "<script>x</script>", "\u202e\u200b", "##", "#", "$1", "\\1", "\\g<0>"]
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    segments=st.lists(st.one_of(LITERAL.map(lambda t: ("text", t)), NAMES.map(lambda n: ("marker", n))), max_size=12),
    values=st.dictionaries(NAMES, st.one_of(VALUE, HOSTILE_VALUES), max_size=5),
)
def test_the_renderer_replaces_each_marker_once_and_nothing_else(
    segments: list[tuple[str, str]], values: dict[str, str]
) -> None:
    content = "".join(text if kind == "text" else f"#{text}#" for kind, text in segments)
    # An independent expectation, built segment by segment.
    expected = "".join(
        text if kind == "text" else (values[text] if rendering.has_value(values.get(text)) else f"#{text}#")
        for kind, text in segments
    )
    rendered = rendering.render("", content, values)
    assert rendered.body == expected
    used = {text for kind, text in segments if kind == "marker"}
    assert set(rendered.missing) == {name for name in used if not rendering.has_value(values.get(name))}


@FUZZ
@given(
    title=st.text(max_size=80), content=st.text(max_size=300), values=st.dictionaries(st.text(max_size=8), st.text())
)
def test_the_renderer_never_fails_on_any_text(title: str, content: str, values: dict[str, str]) -> None:
    rendered = rendering.render(title, content, values)
    assert isinstance(rendered.body, str) and isinstance(rendered.title, str)
    rendered.truncated()


@pytest.mark.parametrize("value", ["{{ 7|add:1 }}", "{% now 'Y' %}", "${7*7}", "<b>bold</b>", "\u202eevil\u200b"])
def test_values_that_look_like_template_code_are_sent_as_they_are(value: str) -> None:
    assert rendering.render("T", "Hi #name#!", {"name": value}).body == f"Hi {value}!"


def read_all(data: bytes) -> list[Member | RowReject]:
    return list(CsvStream(io.BytesIO(data)))


@FUZZ
@given(data=st.binary(max_size=600))
def test_the_csv_reader_refuses_any_bytes_with_a_file_error_or_reads_them(data: bytes) -> None:
    try:
        rows = read_all(b"target,name\n" + data)
    except CsvFileError as error:
        assert str(error).startswith(("Line ", "The file")), str(error)
        return
    for row in rows:
        assert row.line_number >= 2


CELL = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x00"), min_size=1, max_size=20
).filter(lambda cell: cell.strip() == cell and cell)


@FUZZ
@given(
    rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=15, unique_by=lambda row: row[0]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_a_csv_written_by_a_spreadsheet_reads_back_exactly(
    rows: list[tuple[str, str, str]], delimiter: str, encoding: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["target", "name", "money"])
    writer.writerows(rows)
    members = read_all(buffer.getvalue().encode(encoding))
    assert all(isinstance(member, Member) for member in members), members
    assert [(m.target, m.values["name"], m.values["money"]) for m in members] == rows  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"name,money\nx,1\n", "one must be 'target'"),
        (b"target,name\nu1,ok\nu2,\xff\xfe\xfa\n", "Line 3 is not valid"),
        (b"target,name\nu1," + b"x" * (1024 * 1024 + 10) + b"\n", "Line 2 is longer than 1 MB"),
    ],
)
def test_unreadable_files_are_refused_naming_the_line(data: bytes, message: str) -> None:
    with pytest.raises(CsvFileError, match=message):
        read_all(data)


def test_a_bom_and_blank_targets_are_handled_row_by_row() -> None:
    rows = read_all("\ufefftarget,name\nu1,Zhang\n,Li\nu3,Wang\n".encode())
    assert isinstance(rows[0], Member) and rows[0].target == "u1"
    assert isinstance(rows[1], RowReject) and rows[1].line_number == 3 and rows[1].reason == "empty target"
    assert rows[2].line_number == 4


def test_a_nul_byte_refuses_the_file_naming_its_line() -> None:
    with pytest.raises(CsvFileError, match=r"^Line 4 contains a NUL byte"):
        read_all("\ufefftarget,name\nu1,Zhang\n,Li\nu3,Wa\x00ng\n".encode())


def test_a_formula_cell_is_kept_as_plain_text_not_evaluated() -> None:
    (row,) = read_all(b'target,name\nu1,"=HYPERLINK(""http://evil.example"",""click"")"\n')
    assert isinstance(row, Member)
    assert row.values["name"] == '=HYPERLINK("http://evil.example","click")'
