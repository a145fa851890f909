"""Officers log in for a bearer token; it expires, and logging out revokes it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common.protocol.models import ErrorBody, LockoutOut, LoginRequest, OfficerOut, TokenOut
from server.api.deps import BearerToken, Context, CurrentActor
from server.api.errors import ERROR_RESPONSES
from server.services import auth
from server.services.errors import Forbidden
from server.store import models as m

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/token", response_model=TokenOut, responses={429: {
    "model": ErrorBody, "description": "too many failed logins for this username or from this "
    "address; retry after Retry-After seconds"}})
async def login(body: LoginRequest, request: Request, context: Context) -> TokenOut:
    """An officer's token. Wrong passwords in a row lock the username (and an address that
    tries many) for a while, longer each time; the lockouts are audited."""
    return await auth.login(context.db, context.catalog, body.username, body.password,
                            context.clock(), request.client.host if request.client else None)


@router.get("/lockouts", response_model=list[LockoutOut])
async def lockouts(context: Context, actor: CurrentActor) -> list[LockoutOut]:
    """Usernames and addresses locked out now after wrong passwords (admins)."""
    actor.require_role("admin")
    async with context.db.read() as session:
        return await auth.lockouts(session, context.clock())


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
