"""The HTTP API: one thin router per kind of client."""

from __future__ import annotations

from fastapi import FastAPI

from server.api import auth, counter, kiosk, operations, public, stats, ws
from server.api.errors import install_error_handlers
from server.region import api as region
from server.web import pages
from server.web import region as region_pages


def register_routes(app: FastAPI) -> None:
    install_error_handlers(app)
    for module in (public, operations, auth, kiosk, counter, ws, stats, region, region_pages,
                   pages):
        app.include_router(module.router)
