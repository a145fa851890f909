"""At a site: sending the outbox to the centre whenever a link exists, and taking the hall file
the centre hands down.

The hall never waits for this: commands write their records and the triggers note them
(``capture``); this loop, on the side, reads the outbox from where the centre last acknowledged,
sends a bounded, compressed batch, and forgets what the centre acknowledges. With nothing to
send it still speaks every ``interval`` seconds, so the centre knows the hall is there and live.
When the centre cannot be reached it tries again with backoff (at most ``backoff.longest``
apart), for as long as it takes; what happened meanwhile waits in the outbox.

A batch cut off on the way is sent again; one that arrived but whose answer was lost is sent
again too, and the centre, holding it already, changes nothing. Two cases mean positions were
lost, and the site then sends every record it holds once more (the centre keeps the newest
of each): the centre holds less than the site last heard (it was restored from an older copy),
or more than the site ever wrote (the site was).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from pydantic import ValidationError

from common.client import Backoff
from common.protocol.region import HallFile, UplinkAnswer, UplinkStatus
from server.config.hall import ConfigError, HallConfig, parse_hall
from server.region import capture, wire
from server.store.db import Database
from server.store.migrate import head_revision

log = logging.getLogger(__name__)

UPLINK_PATH = "/api/v1/region/uplink"
HALL_PATH = "/api/v1/region/hall"

HallTaker = Callable[[HallConfig, HallFile], Awaitable[None]]
Clock = Callable[[], datetime]


class LinkState(enum.Enum):
    STARTING = "starting"
    OFFLINE = "offline"  # the centre cannot be reached (or is unwell): trying again
    CATCHING_UP = "catching_up"  # sending what the outbox holds
    CAUGHT_UP = "caught_up"  # nothing left to send; speaking every interval
    REFUSED = "refused"  # the centre refuses this site (token, site, software): see last_error


@dataclass(frozen=True)
class UplinkSettings:
    url: str
    token: str
    interval: float = 5.0
    batch_changes: int = 2000
    batch_bytes: int = 4 * 1024 * 1024
    timeout: float = 60.0
    backoff: Backoff = field(default_factory=lambda: Backoff(first=1.0, longest=30.0))
    refused_wait: float = 60.0


class _Refused(Exception):
    pass


class _Unwell(Exception):
    pass


class Uplink:
    def __init__(self, db: Database, settings: UplinkSettings, clock: Clock,
                 take_hall: HallTaker, site_code: Callable[[], str | None],
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.take_hall = take_hall
        self.site_code = site_code
        self.state = LinkState.STARTING
        self.acked = 0
        self.backlog = 0
        self.last_contact: datetime | None = None
        self.last_error: str | None = None
        self.hall_version = 0
        self.hall_problem: str | None = None
        self._rejected_hall: int | None = None
        self._http = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"), transport=transport,
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            headers={"Authorization": f"Bearer {settings.token}"})
        self._task: asyncio.Task[None] | None = None
        self._revision = head_revision()

    async def start(self) -> None:
        # httpx logs every request at INFO: one line every few seconds, all day, says nothing
        # the link's own lines (connected, offline, refused) do not.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger(
            "httpx").getEffectiveLevel()))
        async with self.db.read() as session:
            state = await capture.sync_state(session)
            self.acked, self.hall_version = state.acked, state.hall_version
            self.hall_problem = state.hall_problem
            self.backlog = max(0, await capture.last_position(session) - self.acked)
        self._task = asyncio.create_task(self._run(), name="uplink")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    async def status(self) -> UplinkStatus:
        """The link as of its last attempt; what waits to be sent, as of now."""
        async with self.db.lookup() as session:
            self.backlog = max(0, await capture.last_position(session) - self.acked)
        state = self.state
        if state is LinkState.CAUGHT_UP and self.backlog:
            state = LinkState.CATCHING_UP  # changes made since: on their way
        return UplinkStatus(state=state.value, upstream=self.settings.url,
                            last_contact_at=self.last_contact, acked=self.acked,
                            backlog=self.backlog, hall_version=self.hall_version,
                            last_error=self.last_error)

    def _fell(self, state: LinkState, error: str) -> None:
        if self.state is not state or self.last_error != error:
            log.log(logging.ERROR if state is LinkState.REFUSED else logging.WARNING,
                    "uplink to %s: %s (the hall goes on; %d changes wait)",
                    self.settings.url, error, self.backlog)
        self.state, self.last_error = state, error

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                caught_up = await self.step()
            except _Refused as exc:
                self._fell(LinkState.REFUSED, str(exc))
                await asyncio.sleep(self.settings.refused_wait)
                continue
            except (httpx.HTTPError, _Unwell) as exc:
                self._fell(LinkState.OFFLINE, str(exc) or type(exc).__name__)
                await asyncio.sleep(self.settings.backoff.delay(attempt))
                attempt = min(attempt + 1, 30)
                continue
            except Exception as exc:  # a bad moment of the store must not end the loop
                log.exception("uplink failed; trying again")
                self._fell(LinkState.OFFLINE, f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.settings.backoff.delay(attempt))
                attempt = min(attempt + 1, 30)
                continue
            if attempt or self.state is LinkState.STARTING:
                log.info("uplink to %s: connected; %d changes to send", self.settings.url,
                         self.backlog)
            attempt = 0
            if caught_up:
                await asyncio.sleep(self.settings.interval)

    async def step(self) -> bool:
        """Send one batch (or say the hall is alive); True when nothing is left to send."""
        async with self.db.read() as session:
            batch = await capture.read(session, self.acked, self.settings.batch_changes,
                                       self.settings.batch_bytes)
            written = await capture.last_position(session)
        self.backlog = max(0, written - self.acked)  # what waits, even while the link is down
        head = {"site": self.site_code(), "revision": self._revision, "first": batch.first,
                "last": batch.last, "backlog": batch.backlog,
                "clock": self.clock().isoformat(), "hall_version": self.hall_version,
                "hall_problem": self.hall_problem}
        body = await asyncio.to_thread(wire.pack, head, batch.changes)
        response = await self._http.post(UPLINK_PATH, content=body, headers={
            "Content-Type": "application/json", "Content-Encoding": wire.ENCODING})
        if response.status_code == 409 and _code(response) == "uplink_gap":
            await self._send_everything_again(int(str(_details(response).get("acked", 0))),
                                              "the centre holds less than it acknowledged")
            return False
        answer = self._answer(response)
        self.last_contact = self.clock()
        if answer.acked > written:
            await self._send_everything_again(answer.acked, "the centre holds positions this "
                                              "store never wrote (restored from a copy?)")
            return False
        if answer.acked > self.acked:
            async with self.db.write(background=True) as session:
                await capture.acknowledged(session, answer.acked, self.clock())
            self.acked = answer.acked
        self.backlog = batch.backlog
        self.state = LinkState.CAUGHT_UP if batch.backlog == 0 else LinkState.CATCHING_UP
        self.last_error = None
        if answer.hall_version > self.hall_version and answer.hall_version != self._rejected_hall:
            await self._fetch_hall()
        return batch.backlog == 0

    def _answer(self, response: httpx.Response) -> UplinkAnswer:
        if response.status_code >= 500 or response.status_code == 429:
            raise _Unwell(f"the centre answered {response.status_code}")
        if response.status_code >= 400:
            raise _Refused(f"the centre refused ({response.status_code} {_code(response)}): "
                           f"{_message(response)}")
        try:
            return UplinkAnswer.model_validate_json(response.content)
        except ValidationError as exc:
            raise _Unwell(f"the centre's answer is not understood: {exc}") from exc

    async def _send_everything_again(self, centre_holds: int, why: str) -> None:
        log.warning("uplink: %s (%d, this site %d); every record is noted to be sent again",
                    why, centre_holds, self.acked)
        async with self.db.write(background=True) as session:
            await capture.continue_after(session, centre_holds)
            await capture.ensure(session, resend_all=True)
            await capture.acknowledged(session, centre_holds, self.clock())
        self.acked = centre_holds

    async def _fetch_hall(self) -> None:
        response = await self._http.get(HALL_PATH)
        if response.status_code == 404:
            return
        if response.status_code >= 400:
            self._answer(response)
        hall_file = HallFile.model_validate_json(response.content)
        problem = None
        try:
            hall = parse_hall(hall_file.text, source=f"the centre's hall file v{hall_file.version}")
        except ConfigError as exc:
            problem = str(exc)
        else:
            own = self.site_code()
            if own is not None and hall.site.code != own:
                problem = (f"the centre's hall file is for site '{hall.site.code}', and this "
                           f"server runs '{own}'")
        if problem is not None:
            log.error("uplink: hall file version %d not applied: %s", hall_file.version, problem)
            self._rejected_hall, self.hall_problem = hall_file.version, problem
            return
        await self.take_hall(hall, hall_file)
        log.info("applied hall file version %d from the centre", hall_file.version)
        self.hall_version, self.hall_problem, self._rejected_hall = hall_file.version, None, None


def _error(response: httpx.Response) -> dict[str, object]:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return {}
    return error if isinstance(error, dict) else {}


def _code(response: httpx.Response) -> str:
    return str(_error(response).get("code", ""))


def _message(response: httpx.Response) -> str:
    return str(_error(response).get("message_en", response.reason_phrase))


def _details(response: httpx.Response) -> dict[str, object]:
    details = _error(response).get("details", {})
    return details if isinstance(details, dict) else {}
