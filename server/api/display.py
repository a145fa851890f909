"""What a TV display asks besides the event stream: the next announcement and its audio."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse

from common.design import design
from common.protocol.announcements import Language, PlanOut, PlanRequest
from common.protocol.models import MediaItem
from server.api.deps import Context, CurrentActor, SiteCode, site_of
from server.api.errors import ERROR_RESPONSES
from server.api.gate import LIMIT_EXTENSION
from server.services.media import LARGEST, TYPES
from server.services.voices import LONGEST_TEXT

router = APIRouter(responses=ERROR_RESPONSES, tags=["displays"])

_WAV: dict[int | str, dict[str, Any]] = {
    200: {"description": "a WAV file (16-bit mono PCM)", "content": {"audio/wav": {}}}}


@router.post("/api/v1/sites/{site}/announcements/next", response_model=PlanOut)
async def next_announcement(site: SiteCode, body: PlanRequest, context: Context,
                            actor: CurrentActor) -> Response:
    """The next utterance for the calls a display has waiting, by the hall's announcement
    rules (bounded time, folded by agency, English only when the queue is short, a recall in
    place of its call), with the audio of each sentence. Ask again when it has been played."""
    info = site_of(context, site)
    actor.require_site(info.id)
    plan = await context.voices.plan(info, body)
    # Serialised here, once: every display of the hall asks at every call.
    return Response(plan.model_dump_json(), media_type="application/json")


@router.get("/api/v1/sites/{site}/audio", response_class=Response, responses=_WAV)
async def audio(site: SiteCode, context: Context, actor: CurrentActor, language: Language,
                text: Annotated[str, Query(min_length=1, max_length=LONGEST_TEXT)],
                v: Annotated[str | None, Query(max_length=80, description=
                                               "the voice's version, for caches")] = None,
                ) -> Response:
    """A sentence of an announcement, rendered once in the hall's voice (its voice pack, else
    espeak-ng) and kept: every display plays the same audio. Only announcements' words."""
    info = site_of(context, site)
    actor.require_site(info.id)
    body, outcome = await context.voices.audio(info, language, text)
    return Response(body, media_type="audio/wav", headers={
        "Cache-Control": "private, max-age=86400", "X-Antrean-Audio": outcome})


@router.get("/api/v1/design", tags=["public"])
async def screens_design() -> dict[str, Any]:
    """The colours, words, keys and timings every screen of the hall shares (the pygame apps
    and the browser pages take them from one place, ``common.design``)."""
    return design()


@router.get("/api/v1/audio/chime.wav", response_class=FileResponse, responses=_WAV)
async def chime(context: Context) -> FileResponse:
    """The chime before every call (the same for every hall)."""
    return FileResponse(context.voices.chime(), media_type="audio/wav",
                        headers={"Cache-Control": "public, max-age=86400"})


# ---------------------------------------------------------------- the hall's playlist

MediaName = Annotated[str, Path(max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]*$",
                                description="e.g. 01-welcome.png; played in name order")]
_UPLOAD = {"requestBody": {"required": True, "content": {
    kind: {"schema": {"type": "string", "format": "binary"}} for kind in sorted(set(TYPES.values()))}},
    LIMIT_EXTENSION: LARGEST}


@router.get("/api/v1/sites/{site}/media", response_model=list[MediaItem])
async def playlist(site: SiteCode, context: Context, actor: CurrentActor) -> list[MediaItem]:
    """The images and videos the displays show between calls, in order (paused while a call
    is announced)."""
    info = site_of(context, site)
    actor.require_site(info.id)
    return context.playlist.items(info.code)


@router.put("/api/v1/sites/{site}/media/{name}", response_model=MediaItem, status_code=201,
            openapi_extra=_UPLOAD, responses={413: {"description": f"over {LARGEST} bytes"}})
async def add_media(site: SiteCode, name: MediaName, request: Request, context: Context,
                    actor: CurrentActor) -> MediaItem:
    """Add (or replace) an image or a video of the playlist: the file as the body, its name
    ending as its kind does (.png, .jpg, .webp, .gif, .mp4, .webm). Managers and admins."""
    info = site_of(context, site)
    actor.require_role("manager", "admin")
    actor.require_site(info.id)
    return await context.playlist.add(info.code, name, request.stream())


@router.delete("/api/v1/sites/{site}/media/{name}", status_code=204,
               responses={204: {"description": "removed from the playlist"}})
async def remove_media(site: SiteCode, name: MediaName, context: Context,
                       actor: CurrentActor) -> Response:
    info = site_of(context, site)
    actor.require_role("manager", "admin")
    actor.require_site(info.id)
    context.playlist.remove(info.code, name)
    return Response(status_code=204)


@router.get("/media/{site}/{name}", include_in_schema=False)
async def media_file(site: SiteCode, name: MediaName, context: Context) -> FileResponse:
    info = site_of(context, site)
    path = context.playlist.path(info.code, name)
    return FileResponse(path, media_type=TYPES[path.suffix[1:]],
                        headers={"Cache-Control": "public, max-age=3600"})
