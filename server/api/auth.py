"""Officers log in for a bearer token; it expires, and logging out revokes it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from common.protocol.models import LoginRequest, OfficerOut, TokenOut
from server.api.deps import BearerToken, Context, CurrentActor
from server.api.errors import ERROR_RESPONSES
from server.services import auth
from server.services.errors import Forbidden
from server.store import models as m

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/token", response_model=TokenOut)
async def login(body: LoginRequest, context: Context) -> TokenOut:
    return await auth.login(context.db, context.catalog, body.username, body.password,
                            context.clock())


@router.post("/logout", status_code=204, responses={204: {"description": "token revoked"}})
async def logout(context: Context, actor: CurrentActor, token: BearerToken) -> Response:
    if actor.kind == "officer" and token is not None:
        await context.log_out(token.credentials)
    return Response(status_code=204)


@router.get("/me", response_model=OfficerOut)
async def me(context: Context, actor: CurrentActor) -> OfficerOut:
    async with context.db.read() as session:
        officer = await session.get(m.Officer, actor.id) if actor.kind == "officer" else None
        if officer is None:
            raise Forbidden("Token ini milik perangkat, bukan petugas.",
                            "This token belongs to a device, not an officer.")
        return auth.officer_out(context.catalog, officer)
