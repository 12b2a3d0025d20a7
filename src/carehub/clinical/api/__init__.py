"""The clinical record's HTTP routes, one module per kind of item."""

from __future__ import annotations

from fastapi import APIRouter

from carehub.clinical.api import checklists, medications, notes, tasks

ROUTERS: tuple[APIRouter, ...] = (
    notes.router,
    medications.router,
    tasks.router,
    tasks.assigned,
    checklists.templates,
    checklists.router,
)
