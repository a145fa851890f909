"""The HTTP API: one thin router per kind of client."""

from __future__ import annotations

from fastapi import FastAPI

from server.api import (
    auth,
    counter,
    display,
    kiosk,
    notify,
    online,
    operations,
    public,
    stats,
    visits,
    ws,
)
from server.api.deps import ACTOR_SCHEME, gate_actor
from server.api.errors import install_error_handlers
from server.api.gate import RequestGate
from server.region import api as region
from server.web import online as online_pages
from server.web import pages, screens
from server.web import region as region_pages


def register_routes(app: FastAPI) -> None:
    app.add_middleware(RequestGate, resolve_actor=gate_actor, scheme=ACTOR_SCHEME)
    install_error_handlers(app)  # outside the gate: a database down while it checks a token
    for module in (public, operations, auth, kiosk, online, visits, counter, display, ws, stats,
                   notify, region, region_pages, pages, online_pages, screens):
        app.include_router(module.router)
