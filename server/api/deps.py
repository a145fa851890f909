"""What every route needs: the server context, the caller, and a way to run a command."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.types import Scope

from common.protocol.models import MAX_ID
from server.api.gate import ACTOR_KEY
from server.app import ServerContext
from server.services.actor import Actor
from server.services.catalog import SiteInfo
from server.services.errors import Unauthorized
from server.services.runner import Command, Idempotency

SiteCode = Annotated[str, Path(max_length=40, description="the site's code, e.g. MPP-SLEMAN")]
CounterId = Annotated[int, Path(ge=1, le=MAX_ID, description="the counter's id")]
TicketId = Annotated[int, Path(ge=1, le=MAX_ID, description="the ticket's id")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="send the same key when retrying: the first result is returned again"),
]

ACTOR_SCHEME = "HTTPBearer"  # the request gate resolves this scheme's tokens before the body
_bearer = HTTPBearer(auto_error=False, scheme_name=ACTOR_SCHEME,
                     description="an officer's login token or a device token")
_site_bearer = HTTPBearer(auto_error=False, scheme_name="SiteToken",
                          description="a hall's site token, at the region's centre")


async def get_context(request: Request) -> ServerContext:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, and that hop
    # (and the fight for the GIL after it) cost more than most requests' own work.
    context: ServerContext = request.app.state.context
    return context


Context = Annotated[ServerContext, Depends(get_context)]


BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
SiteBearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(_site_bearer)]


async def actor_for(context: ServerContext, token: str | None) -> Actor:
    if token is None:
        raise Unauthorized("Silakan masuk atau pasang token perangkat.",
                           "Send an Authorization: Bearer token.", code="no_token")
    return await context.actors.resolve(context.db, token, context.clock())


async def gate_actor(scope: Scope, token: str | None) -> Actor:
    """The caller, for the request gate (which checks a token before the body is read)."""
    return await actor_for(scope["app"].state.context, token)


async def get_actor(request: Request, context: Context, credentials: BearerToken) -> Actor:
    gated: Actor | None = request.scope.get(ACTOR_KEY)
    if gated is not None:
        return gated
    return await actor_for(context, credentials.credentials if credentials else None)


CurrentActor = Annotated[Actor, Depends(get_actor)]


def site_of(context: ServerContext, code: str) -> SiteInfo:
    return context.catalog.site(code)


async def run_command(
    request: Request, context: ServerContext, actor: Actor, command: Command,
    key: str | None, body: BaseModel | None = None, *, created: bool = False,
) -> Response:
    idempotency = None
    if key is not None:
        payload = body.model_dump(mode="json") if body is not None else None
        idempotency = Idempotency.of(key, request.method, request.url.path, payload)
    outcome = await context.runner.run(actor, command, created=created, idempotency=idempotency)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    if outcome.body is None:
        return Response(status_code=outcome.status, headers=headers)
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)
