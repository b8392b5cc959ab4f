"""Web routes of the digest area: subscribe box, confirmation, manage and unsubscribe links."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
