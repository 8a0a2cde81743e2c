"""HTML of the builder's rows, built in Python.

A page holds 100 rows of several labelled inputs each; through the template engine (or even
`format_html`) that costs milliseconds per row and would break the 50 ms budget of the rows
endpoint. Every value that is not a constant of this module goes through `_e`, which escapes
exactly what autoescaping escapes.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pushadmin.campaigns.rows import RowView


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _output_cell(row: RowView) -> str:
    problems = ""
    if row.problems:
        items = "".join(f"<li>{_e(problem)}</li>" for problem in row.problems)
        aria_label = _e(_("Problems of this row"))
        problems = f'<ul class="row-problems" aria-label="{aria_label}">{items}</ul>'
    marker = " has-problem" if row.problems else ""
    return (
        f'<td id="out-{_e(row.key)}" class="rendered{marker}"><p class="rendered-title">{_e(row.rendered.title)}</p>'
        f'<p class="rendered-body">{_e(row.rendered.body)}</p>{problems}</td>'
    )


def output_cell(row: RowView) -> SafeString:
    return mark_safe(_output_cell(row))  # noqa: S308 - built from escaped values only


def _input(row: RowView, suffix: str, label: str, value: str, editable: bool, extra: str) -> str:
    field_id = _e(f"row-{row.key}-{suffix}")
    readonly = "" if editable else " readonly"
    field_label = _("%(field)s of row %(row)s") % {"field": label, "row": row.msg_key_hint}
    return (
        f'<td><label class="visually-hidden" for="{field_id}">'
        f"{_e(field_label)}</label>"
        f'<input type="text" id="{field_id}" name="{field_id}" value="{_e(value)}"{extra}{readonly}></td>'
    )


class RowRenderer:
    """Renders rows of one campaign; the URL is reversed once per page, not once per row."""

    def __init__(self, workspace_id: int, campaign_id: int, editable: bool) -> None:
        kwargs = {"workspace_id": workspace_id, "campaign_id": campaign_id}
        self.preview_url = _e(reverse("campaigns:row_preview", kwargs=kwargs))
        self.editable = editable

    def _row(self, row: RowView) -> str:
        cells = [_input(row, "target", _("Target"), row.target, self.editable, ' class="cell" maxlength="128"')]
        cells += [
            _input(row, f"v-{name}", f"#{name}#", value, self.editable, ' class="cell" maxlength="1000"')
            for name, value in row.values.items()
        ]
        cells.append(
            _input(
                row,
                "ext",
                "extendedParams",
                row.extended_text,
                self.editable,
                ' class="cell mono" placeholder="{&quot;key&quot;: &quot;value&quot;}"',
            )
        )
        cells.append(_output_cell(row))
        key = _e(row.key)
        live = ""
        if self.editable:
            remove = _e(_("Remove"))
            cells.append(
                f'<td><input type="checkbox" id="row-{key}-remove" name="row-{key}-remove" value="1"> '
                f'<label for="row-{key}-remove">{remove}</label></td>'
            )
            live = (
                f' hx-post="{self.preview_url}" hx-trigger="input changed delay:300ms" hx-target="#out-{key}"'
                f' hx-swap="outerHTML" hx-vals=\'{{"row": "{key}"}}\' hx-sync="this:queue last"'
            )
        new = "" if row.seq else " data-new-row"
        label = row.seq or _e(_("new"))
        return (
            f'<tr id="row-{key}"{new}{live}><th scope="row">{label}<input type="hidden" name="rows" value="{key}"></th>'
            f"{''.join(cells)}</tr>"
        )

    def row(self, row: RowView) -> SafeString:
        return mark_safe(self._row(row))  # noqa: S308 - built from escaped values only

    def rows(self, rows: list[RowView]) -> SafeString:
        return mark_safe("".join(self._row(row) for row in rows))  # noqa: S308 - built from escaped values only
