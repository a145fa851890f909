"""`WS /api/v1/ws`: the event stream for displays, counters, kiosks and the manager's dashboard.

Query parameters:

- ``token`` — a device token or an officer's login token (or send ``Authorization: Bearer``).
- ``site`` — the site's code; defaults to the token's own site.
- ``topics`` — comma-separated: ``site``, ``kiosk``, ``zone:CODE``, ``agency:CODE``,
  ``counter:ID``; defaults to what the token is for (a display's zone, a keypad's counter…).
- ``since`` — the last sequence number the client saw: the events after it are replayed, or a
  snapshot comes first when the log no longer keeps them. Without it, a snapshot comes first.

The server accepts the socket, then refuses a bad request with a close code (4400 bad request,
4401 no or bad token, 4403 not allowed, 4404 unknown site, zone or counter) and a reason.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from common.protocol.stream import CLOSE_BAD_REQUEST, CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED
from server.app import ServerContext
from server.realtime.topics import TopicError, default_topics, subscribe
from server.services.errors import DomainError

router = APIRouter()


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    await websocket.close(code, reason[:120])


def _bearer(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("token")
    if token:
        return token
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@router.websocket("/api/v1/ws")
async def stream(websocket: WebSocket) -> None:
    context: ServerContext = websocket.app.state.context
    await websocket.accept()
    params = websocket.query_params
    token = _bearer(websocket)
    if token is None:
        await _refuse(websocket, CLOSE_UNAUTHORIZED, "send a device or officer token: ?token=…")
        return
    since_text = params.get("since")
    # ASCII digits only ("²" is a digit to str.isdigit, and int() refuses it), and no more
    # than a sequence number can have.
    if since_text is not None and not (since_text.isascii() and since_text.isdigit()
                                       and len(since_text) <= 18):
        await _refuse(websocket, CLOSE_BAD_REQUEST, "since must be a sequence number (0 or more)")
        return
    catalog = context.catalog
    try:
        actor = await context.actors.resolve(context.db, token, context.clock())
    except DomainError as exc:
        await _refuse(websocket, CLOSE_UNAUTHORIZED, exc.message_en)
        return
    device_zone = actor.zone_code if actor.kind == "device" and actor.role == "display" else None
    site_code = params.get("site")
    if site_code is None and actor.site_id in catalog.sites:
        site_code = catalog.sites[actor.site_id].code
    try:
        site = catalog.site(site_code or "")
    except DomainError:
        await _refuse(websocket, CLOSE_NOT_FOUND, f"no site {site_code!r}: pass ?site=CODE")
        return
    names = [t.strip() for t in params.get("topics", "").split(",") if t.strip()]
    try:
        subscription = subscribe(catalog, site, actor, names or default_topics(actor, device_zone))
    except TopicError as exc:
        await _refuse(websocket, exc.code, exc.reason)
        return
    await context.hub.serve(websocket, subscription, site.code,
                            int(since_text) if since_text is not None else None)
