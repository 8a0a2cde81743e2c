from __future__ import annotations

from pushadmin.campaigns.rendering import placeholders, render

TITLE = "Hi #name#"
CONTENT = "Hello #name#, congratulations on winning #money# yuan"


def test_placeholders_are_listed_once_in_order_of_appearance() -> None:
    assert placeholders("#b# and #a# and #b# again, ## is not one, # spaced # neither") == ["b", "a"]


def test_render_fills_title_and_body_from_the_row_values() -> None:
    rendered = render(TITLE, CONTENT, {"name": "Zhang San", "money": "200"})
    assert rendered.title == "Hi Zhang San"
    assert rendered.body == "Hello Zhang San, congratulations on winning 200 yuan"
    assert rendered.ok


def test_a_missing_value_leaves_the_marker_visible_and_is_reported() -> None:
    rendered = render(TITLE, CONTENT, {"name": "Li Si", "money": "  "})
    assert rendered.body == "Hello Li Si, congratulations on winning #money# yuan"
    assert rendered.missing == ["money"]


def test_values_the_template_does_not_use_are_reported_as_unknown() -> None:
    rendered = render(TITLE, CONTENT, {"name": "A", "money": "1", "city": "Hangzhou"})
    assert rendered.unknown == ["city"]
    assert not rendered.ok


def test_fallback_fills_only_what_the_row_lacks() -> None:
    rendered = render(TITLE, CONTENT, {"name": "Wang"}, fallback={"name": "friend", "money": "10"})
    assert rendered.body == "Hello Wang, congratulations on winning 10 yuan"
    assert rendered.used_fallback == ["money"]
    assert rendered.missing == []


def test_a_value_containing_a_marker_is_not_expanded_again() -> None:
    rendered = render(TITLE, CONTENT, {"name": "#money#", "money": "5"})
    assert rendered.title == "Hi #money#"


def test_phone_preview_cuts_at_the_vendor_limit_with_an_ellipsis() -> None:
    rendered = render("T", "#text#", {"text": "x" * 150})
    preview = rendered.truncated("vivo")
    assert len(preview.body) == 100
    assert preview.body.endswith("…")
    assert preview.body_cut and not preview.title_cut
