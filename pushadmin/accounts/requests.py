"""Request types for views, with the attributes the middleware and `workspace_view` set.

Only for annotations: Django builds plain `HttpRequest` objects, and these classes are
never instantiated.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from pushadmin.workspaces.models import Workspace


class AuthenticatedRequest(HttpRequest):
    """A request past `LoginRequiredMiddleware` (a signed-in user) and `HtmxMiddleware`."""

    user: User
    htmx: HtmxDetails


class WorkspaceRequest(AuthenticatedRequest):
    """A request inside a `workspace_view`: the workspace from the URL and the user's roles in it."""

    workspace: Workspace
    roles: set[str]
