"""What an operator's tools ask: is the process alive, is it ready to serve, and its metrics.

Liveness says only that the process answers (its event loop turns): a process manager restarts
one that does not. Readiness says it can serve now — the store answers with the schema this
version expects, events from other processes arrive, a hall is configured — so a proxy or an
orchestrator sends it traffic. A database outage makes a server unready, never dead: restarting
it would not bring the database back.
"""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from common.protocol.models import Liveness, Readiness
from server.api.deps import Context
from server.api.errors import error_response
from server.observe.hall import build_info, hall_families, uplink_families
from server.observe.metrics import CONTENT_TYPE, render

router = APIRouter(tags=["health"])


@router.get("/livez", response_model=Liveness)
async def livez() -> Liveness:
    """The process answers. Touches nothing else, so it never fails because a dependency did."""
    return Liveness(status="alive", pid=os.getpid())


@router.get("/readyz", response_model=Readiness,
            responses={503: {"description": "not ready: the failing checks are in "
                                            "error.details.checks"}})
async def readyz(context: Context) -> Response:
    """The store answers at the schema this version expects, the event bus hears the other
    processes, and a hall is configured; 503 with the failing checks otherwise."""
    checks: dict[str, str] = {}
    failing: list[tuple[str, str]] = []  # Indonesian, English
    try:
        async with context.db.read() as session:
            revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
        checks["database"] = "ok"
        checks["schema"] = str(revision)
        if revision != context.schema_revision:
            failing.append((f"skema basis data {revision}, seharusnya {context.schema_revision}",
                            f"schema {revision}, expected {context.schema_revision}"))
    except Exception as exc:  # any failure of the store is the answer, not an error
        checks["database"] = f"unreachable: {type(exc).__name__}"
        failing.append(("basis data tidak dapat dihubungi", "the database is unreachable"))
    checks["bus"] = "ok" if context.bus.healthy else "not hearing other processes"
    if not context.bus.healthy:
        failing.append(("Redis tidak terhubung", "the event bus (Redis) is not connected"))
    sites = len(context.catalog.sites)
    checks["hall"] = f"{sites} site(s)" if sites else "no hall configured"
    if not sites:
        failing.append(("belum ada gedung layanan yang dikonfigurasi", "no hall is configured"))
    if not failing:
        return JSONResponse(Readiness(status="ready", checks=checks).model_dump(mode="json"))
    return error_response(503, "not_ready",
                          "Server belum siap: " + "; ".join(i for i, _ in failing) + ".",
                          "The server is not ready: " + "; ".join(e for _, e in failing) + ".",
                          {"checks": checks}, headers={"Retry-After": "5"})


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"content": {CONTENT_TYPE: {}},
                             "description": "Prometheus's text exposition format"}})
async def metrics(context: Context) -> Response:
    """Tickets issued, called, finished and missed; waiting per service; call-next and issue
    latency; WebSocket connections; event-bus lag; counters and devices by state; a site
    server's outbox backlog and link to its centre. Each worker of `serve --workers` under its
    own `worker` label."""
    families = context.metrics.own_families(context.hub)
    async with context.db.read() as session:
        families += await hall_families(session, context.catalog, context.clock())
    if context.region is not None and context.region.uplink is not None:
        families += await uplink_families(context.region.uplink)
    families.append(build_info(context.db.dialect, context.schema_revision))
    return Response(render(families), media_type=CONTENT_TYPE)
