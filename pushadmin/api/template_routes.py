"""Templates over the API: list, create, and their state on mPaaS (checked or created there)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from pushadmin.accounts.models import Role
from pushadmin.api.authentication import allow, scoped
from pushadmin.api.problems import Problem, ProblemOut, form_errors
from pushadmin.api.schemas import SyncOut, TemplateIn, TemplateOut
from pushadmin.campaigns import mpaas_sync, rendering
from pushadmin.campaigns.forms import SAMPLE_PREFIX, TemplateForm
from pushadmin.campaigns.models import MpaasState, Template
from pushadmin.campaigns.template_views import READERS, save_template

router = Router(tags=["templates"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 422, 429}): ProblemOut}


def template_out(template: Template) -> dict[str, Any]:
    return {
        "id": template.pk,
        "name": template.name,
        "title": template.title,
        "content": template.content,
        "placeholders": rendering.template_placeholders(template.title, template.content),
        "sample_values": template.sample_values or {},
        "mpaas_state": template.mpaas_state,
        "mpaas_state_label": str(MpaasState(template.mpaas_state).label),
        "mpaas_checked_at": template.mpaas_checked_at,
        "mpaas_template_id": template.mpaas_template_id,
        "mpaas_error": template.mpaas_error,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


@router.get("/templates", response={200: list[TemplateOut], **ERRORS}, **allow(*READERS))
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    """Every template of the workspace with its state on mPaaS, by name."""
    return [template_out(t) for t in Template.objects.filter(workspace=scoped(request).workspace).order_by("name")]


@router.post("/templates", response={201: TemplateOut, **ERRORS}, **allow(Role.MARKETER))
def create_template(request: HttpRequest, payload: TemplateIn) -> Status[dict[str, Any]]:
    """Mirror a template of the mPaaS console: its exact name, title and text with #placeholders#."""
    scope = scoped(request)
    data = QueryDict(mutable=True)
    data.update({"name": payload.name, "title": payload.title, "content": payload.content})
    for name, value in payload.sample_values.items():
        data[SAMPLE_PREFIX + name] = value
    form = TemplateForm(data, workspace=scope.workspace)
    if not form.is_valid():
        names = {SAMPLE_PREFIX + name: f"sample_values.{name}" for name in form.placeholder_names()}
        raise Problem(422, "The template is not valid; see errors.", form_errors(form, names))
    # A new template has no campaigns yet, so saving it is never refused as locked.
    return Status(201, template_out(save_template(scope, form, "template.created")))


@router.get("/templates/{template_id}", response={200: TemplateOut, **ERRORS}, **allow(*READERS))
def read_template(request: HttpRequest, template_id: int) -> dict[str, Any]:
    return template_out(get_object_or_404(Template, workspace=scoped(request).workspace, pk=template_id))


def _sync(request: HttpRequest, template_id: int, create: bool) -> dict[str, Any]:
    scope = scoped(request)
    template = get_object_or_404(
        Template.objects.select_related("workspace"), workspace=scope.workspace, pk=template_id
    )
    answer = (mpaas_sync.create_on_mpaas if create else mpaas_sync.check)(template, request=scope)
    template.refresh_from_db()
    return {"ok": answer.ok, "detail": answer.text, "template": template_out(template)}


@router.post("/templates/{template_id}/check", response={200: SyncOut, **ERRORS}, **allow(Role.MARKETER))
def check_on_mpaas(request: HttpRequest, template_id: int) -> dict[str, Any]:
    """Compare with mPaaS's template of the same name (GetTemplate); the state is kept on the template."""
    return _sync(request, template_id, create=False)


@router.post("/templates/{template_id}/create-on-mpaas", response={200: SyncOut, **ERRORS}, **allow(Role.MARKETER))
def create_on_mpaas(request: HttpRequest, template_id: int) -> dict[str, Any]:
    """Create the template on mPaaS (CreateTemplate), or link the one of the same name."""
    return _sync(request, template_id, create=True)
