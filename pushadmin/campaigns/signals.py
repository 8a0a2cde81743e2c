"""Signals other apps listen to, so campaigns need not import them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction of every lifecycle transition, after its audit entry, with
# `campaign`, `action` (the audit action), `to` (the new status), `actor` (a user or None) and `detail`.
campaign_moved = Signal()
