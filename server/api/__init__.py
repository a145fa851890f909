"""The HTTP API: one thin router per kind of client."""

from __future__ import annotations

from fastapi import FastAPI

from server.api import auth, counter, display, kiosk, operations, public, stats, visits, ws
from server.api.deps import ACTOR_SCHEME, gate_actor
from server.api.errors import install_error_handlers
from server.api.gate import RequestGate
from server.region import api as region
from server.web import pages, screens
from server.web import region as region_pages


def register_routes(app: FastAPI) -> None:
    app.add_middleware(RequestGate, resolve_actor=gate_actor, scheme=ACTOR_SCHEME)
    install_error_handlers(app)  # outside the gate: a database down while it checks a token
    for module in (public, operations, auth, kiosk, visits, counter, display, ws, stats, region,
                   region_pages, pages, screens):
        app.include_router(module.router)
