"""One mPaaS client per workspace per worker process, reused across batches.

A client keeps its HTTP connections open, which matters at hundreds of calls per second.
It is rebuilt when the workspace's endpoint, credentials or signature settings change.
"""

from __future__ import annotations

import threading
from typing import cast

from django.conf import settings

from pushadmin.mpaas.client import MpaasClient, SignatureScheme
from pushadmin.workspaces.models import Workspace

_clients: dict[int, tuple[tuple[object, ...], MpaasClient]] = {}
_lock = threading.Lock()


def signature_of(workspace: Workspace) -> SignatureScheme:
    """The workspace's signature scheme as the client takes it: the field's choices are these values."""
    return cast(SignatureScheme, workspace.signature_scheme)


def _identity(workspace: Workspace) -> tuple[object, ...]:
    return (
        workspace.endpoint_url,
        workspace.access_key_id,
        workspace.secret_changed_at,
        workspace.signature_scheme,
        workspace.api_version,
    )


def client_for(workspace: Workspace) -> MpaasClient:
    identity = _identity(workspace)
    with _lock:
        cached = _clients.get(workspace.pk)
        if cached is not None and cached[0] == identity:
            return cached[1]
        client = MpaasClient(
            workspace.endpoint_url,
            workspace.access_key_id,
            workspace.reveal_secret_for_signing(),
            signature=signature_of(workspace),
            api_version=workspace.api_version,
            timeout=float(settings.PUSHADMIN_SEND_HTTP_TIMEOUT),
        )
        if cached is not None:
            cached[1].close()
        _clients[workspace.pk] = (identity, client)
        return client
