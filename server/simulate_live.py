"""`antrean simulate --server URL`: a seeded day played against a running server, in compressed
time, through the public HTTP API, as the hall's kiosks and officers would use it.

    antrean simulate --server http://127.0.0.1:8000 --speed 60 --seed 3

The day is the one ``server.domain.simulation.simulate_day`` makes for the hall the server runs
(its services and counters, read from the API): arrivals by hour with the morning peak, priority
tickets, service times per service, no-shows, citizens who give up, transfers, officers' breaks.
It is played at ``--speed`` simulated seconds per real second: kiosks reserve and confirm the
simulated tickets at their simulated times; officers log in, open their counters, call the next
ticket, start, finish, recall and mark no-shows, transfer, rate, pause and resume when the
simulated day says.

What is simulated and what is live: the server's own dispatch decides which ticket a counter
gets. The simulation drives *behaviour*, not assignment: when counters open, pause and close,
when an officer calls again, and, for each ticket, what its citizen does: how long they take to
walk up and to be served, whether they show up, whether they are sent on to another service,
whether they give up waiting first, how they rate the service. A ticket keeps its citizen's
behaviour whichever counter calls it. So the tickets issued per service follow the seed exactly;
waits, counter loads and who serves whom are the live server's.

Every command carries an Idempotency-Key (``common.client.AsyncClient``). A refusal (4xx) is
logged with the server's message and the day goes on; a server that cannot be reached ends the
run with a message and exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx

from common.client import ApiError, AsyncClient
from common.protocol.models import CounterOut, ServiceOut, SiteOut
from server.domain.simulation import Day, Plan, SimCounter, SimService, SimTicket, simulate_day
from server.simulate import with_demand

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=30)  # after the simulated day's last action, for a slower live hall
IDLE_SIM_SECONDS = 120.0  # an idle officer looks at the line again after this long…
IDLE_REAL_SECONDS = 1.0  # …but not more often than this, so a fast run does not flood the server
FALLBACK_WALK_SECONDS = 45.0
GIVE_UP_REASON = "warga pergi sebelum dipanggil"
TRANSFER_REASON = "dialihkan ke layanan lain (simulasi)"
PAUSE_REASON = "istirahat"

StepAction = Literal["open", "pause", "resume", "close"]


# -- the simulated day as a timeline of actions (pure)


@dataclass(frozen=True)
class Behaviour:
    """What the citizen holding a ticket does once a counter calls it."""

    walk_seconds: float  # call → start of service
    service_seconds: float  # start → finish (each part, when transferred)
    no_show_after: float | None = None  # seconds after the call the officer gives up (recalls halfway)
    transfer_to: str | None = None  # service code the first counter sends them on to
    rating: int | None = None


@dataclass(frozen=True)
class Arrival:
    at: datetime
    index: int  # position in the simulated day
    service: str
    priority_reason: str | None
    behaviour: Behaviour
    give_up_at: datetime | None = None  # leaves the hall then, if still not called


@dataclass(frozen=True)
class CounterStep:
    at: datetime
    action: StepAction
    reason: str | None = None


@dataclass(frozen=True)
class Timeline:
    opening: datetime
    end: datetime  # nothing is played after this
    arrivals: list[Arrival]
    counters: dict[int, list[CounterStep]]

    def issued_per_service(self) -> dict[str, int]:
        return dict(sorted(Counter(a.service for a in self.arrivals).items()))


def behaviour(ticket: SimTicket, codes: Mapping[int, str], service_minutes: float) -> Behaviour:
    """A simulated ticket's citizen. Tickets the simulated day never called (they gave up or
    were still waiting at the end) get a typical walk and the service's mean time, in case the
    live hall calls them. A transferred ticket's first part is not kept by the simulation; both
    parts take the time of its last."""
    typical = Behaviour(FALLBACK_WALK_SECONDS, service_minutes * 60)
    if ticket.status == "no_show" and ticket.first_called_at and ticket.ended_at:
        return Behaviour(typical.walk_seconds, typical.service_seconds,
                         no_show_after=(ticket.ended_at - ticket.first_called_at).total_seconds())
    if ticket.status == "finished" and ticket.started_at and ticket.finished_at:
        called = ticket.last_called_at or ticket.started_at
        transfer_to = codes[ticket.service_id] if ticket.transfer_count else None
        return Behaviour((ticket.started_at - called).total_seconds(),
                         (ticket.finished_at - ticket.started_at).total_seconds(),
                         transfer_to=transfer_to, rating=ticket.rating)
    return typical


def timeline(day: Day, opening: datetime, services: Sequence[SimService],
             codes: Mapping[int, str], until: datetime | None = None) -> Timeline:
    """The simulated day as what kiosks and counters do and when, up to ``until``; ``codes``
    names each simulated service id's service code."""
    minutes = {s.id: s.service_minutes for s in services}
    last = max([e.at for e in day.counter_events] + [opening])
    end = min(until, last + GRACE) if until is not None else last + GRACE
    arrivals = [
        Arrival(t.issued_at, i, codes[t.issued_service_id], t.priority_reason,
                behaviour(t, codes, minutes[t.issued_service_id]),
                give_up_at=t.ended_at if t.status == "cancelled" else None)
        for i, t in enumerate(day.tickets) if t.issued_at < end]
    arrivals.sort(key=lambda a: (a.at, a.index))
    steps: dict[int, list[CounterStep]] = {}
    for event in sorted(day.counter_events, key=lambda e: e.at):
        action = _STEP_ACTIONS.get(event.action)
        if event.at < end and action is not None:
            steps.setdefault(event.counter_id, []).append(
                CounterStep(event.at, action, event.reason if action == "pause" else None))
    return Timeline(opening, end, arrivals, steps)


_STEP_ACTIONS: dict[str, StepAction] = {
    "counter.open": "open", "counter.pause": "pause", "counter.resume": "resume",
    "counter.close": "close"}


@dataclass(frozen=True)
class LiveHall:
    """The hall the server runs, as the simulation sees it."""

    services: list[SimService]
    counters: list[SimCounter]
    codes: dict[int, str]  # simulated service id → service code
    numbers: dict[int, int]  # counter id → counter number
    agency_of: dict[str, str]  # service code → agency code
    counter_agency: dict[int, str]  # counter id → agency code

    def counters_serving(self, code: str) -> list[int]:
        return [c.id for c in self.counters
                if any(self.codes[s] == code for s in c.services)]


def live_hall(services: Sequence[ServiceOut], counters: Sequence[CounterOut],
              minutes: Mapping[str, float]) -> LiveHall:
    """Services numbered in the order the API lists them, agencies by code, counters by their
    real ids; ``minutes`` are the services' mean service times from the hall's file."""
    agencies: dict[str, int] = {}
    for code in [s.agency.code for s in services] + [c.agency.code for c in counters]:
        agencies.setdefault(code, len(agencies) + 1)
    ids = {s.code: number for number, s in enumerate(services, start=1)}
    sim_services = [SimService(ids[s.code], agencies[s.agency.code], s.prefix,
                               minutes.get(s.code, 10.0)) for s in services]
    sim_counters = [SimCounter(c.id, agencies[c.agency.code],
                               frozenset(ids[code] for code in c.services if code in ids))
                    for c in counters]
    return LiveHall(sim_services, sim_counters, {v: k for k, v in ids.items()},
                    {c.id: c.number for c in counters},
                    {s.code: s.agency.code for s in services},
                    {c.id: c.agency.code for c in counters})


def plan_day(hall: LiveHall, site: SiteOut, plan: Plan, seed: int,
             duration: timedelta | None = None) -> Timeline:
    """The seeded day for this hall on the site's service day, as a timeline."""
    services = with_demand(hall.services, hall.counters, random.Random(site.code))
    day = simulate_day(site.service_day, site.timezone, services, hall.counters, plan, seed)
    opening = datetime.combine(site.service_day, plan.open_at, ZoneInfo(site.timezone))
    return timeline(day, opening, services, hall.codes,
                    until=opening + duration if duration is not None else None)


# -- playing it


class DayOver(Exception):
    """The played day reached its end."""


class Refused(Exception):
    """The server said no; already logged."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.status = error.status


class Clock:
    """Simulated time: ``speed`` simulated seconds pass per real second from ``opening``."""

    def __init__(self, opening: datetime, end: datetime, speed: float) -> None:
        self.opening, self.end, self.speed = opening, end, speed
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.opening + timedelta(seconds=(time.monotonic() - self.started) * self.speed)

    def real_seconds(self, at: datetime) -> float:
        """Real seconds from now until the simulated moment ``at`` (0 when it has passed)."""
        return max(0.0, (at - self.now()).total_seconds() / self.speed)

    async def until(self, at: datetime) -> None:
        """Sleep until ``at``; DayOver when the day ends first."""
        if at >= self.end:
            await asyncio.sleep(self.real_seconds(self.end))
            raise DayOver
        await asyncio.sleep(self.real_seconds(at))

    async def wait(self, seconds: float) -> None:
        await self.until(self.now() + timedelta(seconds=seconds))

    async def idle(self, wake: asyncio.Event, seconds: float, before: datetime | None) -> None:
        """Wait until woken, ``seconds`` of simulated time, or ``before``, whichever comes first,
        and at least IDLE_REAL_SECONDS of real time unless woken."""
        limit = min(self.end, before) if before is not None else self.end
        timeout = min(max(seconds / self.speed, IDLE_REAL_SECONDS), self.real_seconds(limit))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
        if self.now() >= self.end:
            raise DayOver


@dataclass
class Tally:
    issued: Counter[str] = field(default_factory=Counter)
    not_issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    transfers: int = 0
    gave_up: int = 0
    ratings: int = 0
    refusals: int = 0


@dataclass(frozen=True)
class Credentials:
    kiosk_tokens: list[str]
    officers: list[tuple[str, str]]  # username, password
    manager: tuple[str, str] | None


class LiveDay:
    """One played day: the kiosks, the counters and what happened."""

    def __init__(self, url: str, site: SiteOut, hall: LiveHall, day: Timeline, speed: float
                 ) -> None:
        self.url, self.site, self.hall, self.day = url, site, hall, day
        self.clock = Clock(day.opening, day.end, speed)
        self.tally = Tally()
        self.kiosks: list[tuple[str, AsyncClient]] = []
        self.officer_at: dict[int, tuple[str, AsyncClient]] = {}  # counter id → officer
        self.officer_of: dict[str, AsyncClient] = {}  # agency code → an officer
        self.manager: AsyncClient | None = None
        self.clients: list[AsyncClient] = []
        self.ticket_of: dict[int, int] = {}  # arrival index → live ticket id
        self.behaviour_of: dict[int, Behaviour] = {}  # live ticket id → its citizen
        self.called: set[int] = set()
        self.transferred: set[int] = set()
        self.wake = {c.id: asyncio.Event() for c in hall.counters}
        self.serving = {code: hall.counters_serving(code) for code in hall.agency_of}

    def client(self, token: str | None = None) -> AsyncClient:
        client = AsyncClient(self.url, token, site=self.site.code)
        self.clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def post(self, who: str, client: AsyncClient, path: str,
                   body: dict[str, Any] | None = None) -> Any:
        """A command; a refusal is logged with the server's message and raised as Refused.
        A server that cannot be reached (after the client's retries) raises httpx's error."""
        try:
            return await client.command(path, body)
        except ApiError as exc:
            self.tally.refusals += 1
            at = self.clock.now().astimezone(ZoneInfo(self.site.timezone))
            log.warning("[%s] %s: %s refused: %s [%s %s]", f"{at:%H:%M:%S}", who, path,
                        exc.message_en, exc.status, exc.code)
            raise Refused(exc) from exc

    def say(self, message: str, *args: object) -> None:
        """What happened to which ticket, at what simulated time (at DEBUG: a day is long)."""
        if log.isEnabledFor(logging.DEBUG):
            at = self.clock.now().astimezone(ZoneInfo(self.site.timezone))
            log.debug(f"[{at:%H:%M:%S}] {message}", *args)

    # -- who takes part

    async def log_in(self, credentials: Credentials) -> None:
        for number, token in enumerate(credentials.kiosk_tokens, start=1):
            self.kiosks.append((f"kiosk {number}", self.client(token)))
        staff: dict[str, list[tuple[str, AsyncClient]]] = {}
        for username, password in credentials.officers:
            answer = await self._log_in(username, password)
            if answer is not None and answer[1].get("agency"):
                staff.setdefault(answer[1]["agency"], []).append((username, answer[0]))
        if credentials.manager is not None:
            answer = await self._log_in(*credentials.manager)
            self.manager = answer[0] if answer is not None else None
        unstaffed = []
        rotation = {agency: itertools.cycle(people) for agency, people in staff.items()}
        for counter in self.hall.counters:
            agency = self.hall.counter_agency[counter.id]
            if agency in rotation:
                self.officer_at[counter.id] = next(rotation[agency])
            else:
                unstaffed.append(self.hall.numbers[counter.id])
        self.officer_of = {agency: people[0][1] for agency, people in staff.items()}
        if unstaffed:
            log.warning("no officer could log in for counters %s: they stay closed and their "
                        "lines wait (give accounts with --officer USER:PASSWORD)",
                        ", ".join(map(str, sorted(unstaffed))))

    async def _log_in(self, username: str, password: str
                      ) -> tuple[AsyncClient, dict[str, Any]] | None:
        client = self.client()
        try:
            answer = await self.post(username, client, "/api/v1/auth/token",
                                     {"username": username, "password": password})
        except Refused:
            return None
        client.token = answer["access_token"]
        return client, answer["officer"]

    # -- the day

    async def play(self) -> None:
        per_kiosk = max(1, len(self.kiosks))
        jobs: list[Awaitable[None]] = [
            self._kiosk(name, client, self.day.arrivals[number::per_kiosk])
            for number, (name, client) in enumerate(self.kiosks)]
        jobs.append(self._give_ups(sorted((a for a in self.day.arrivals if a.give_up_at),
                                          key=lambda a: (a.give_up_at, a.index))))
        jobs += [self._counter(counter_id, steps) for counter_id, steps in self.day.counters.items()
                 if counter_id in self.officer_at]
        jobs.append(self._progress())
        tasks = [asyncio.ensure_future(job) for job in jobs]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _kiosk(self, name: str, client: AsyncClient, arrivals: Sequence[Arrival]) -> None:
        try:
            for arrival in arrivals:
                await self.clock.until(arrival.at)
                await self._issue(name, client, arrival)
        except DayOver:
            pass
        except Refused:  # the kiosk's token is not accepted: nothing it does will work
            log.error("%s stops: the server does not accept its token", name)

    async def _issue(self, name: str, client: AsyncClient, arrival: Arrival) -> None:
        body = {"service": arrival.service, "priority_reason": arrival.priority_reason,
                "reserve": True}
        try:
            ticket = await self.post(name, client, f"/api/v1/sites/{self.site.code}/tickets", body)
            await self.post(name, client, f"/api/v1/tickets/{ticket['id']}/confirm")
        except Refused as exc:
            if exc.status in (401, 403):
                raise
            self.tally.not_issued += 1
            return
        self.tally.issued[arrival.service] += 1
        self.ticket_of[arrival.index] = ticket["id"]
        self.behaviour_of[ticket["id"]] = arrival.behaviour
        self.say("%s issued %s%s", name, ticket["number"],
                  f" (priority: {arrival.priority_reason})" if arrival.priority_reason else "")
        self._line_changed(arrival.service)

    def _line_changed(self, service: str) -> None:
        """Officers whose counters serve ``service`` see its line grow (on their screens)."""
        for counter_id in self.serving.get(service, ()):
            self.wake[counter_id].set()

    async def _give_ups(self, arrivals: Iterable[Arrival]) -> None:
        """Citizens who leave before they are called; their agency's officer cancels the number."""
        try:
            for arrival in arrivals:
                assert arrival.give_up_at is not None
                await self.clock.until(arrival.give_up_at)
                ticket_id = self.ticket_of.get(arrival.index)
                who = self.officer_of.get(self.hall.agency_of[arrival.service]) or self.manager
                if ticket_id is None or ticket_id in self.called or who is None:
                    continue
                try:
                    await self.post("front desk", who, f"/api/v1/tickets/{ticket_id}/cancel",
                                    {"reason": GIVE_UP_REASON})
                except Refused:
                    continue
                self.tally.gave_up += 1
        except DayOver:
            pass

    async def _counter(self, counter_id: int, steps: Sequence[CounterStep]) -> None:
        officer, client = self.officer_at[counter_id]
        who = f"counter {self.hall.numbers[counter_id]} ({officer})"
        base = f"/api/v1/counters/{counter_id}"
        try:
            for index, step in enumerate(steps):
                await self.clock.until(step.at)
                if step.action == "close":  # once nothing is waiting, as the simulation does
                    await self._serve(who, counter_id, client, None)
                with_reason = {"reason": step.reason or PAUSE_REASON} if step.action == "pause" \
                    else None
                try:
                    await self.post(who, client, f"{base}/{step.action}", with_reason)
                except Refused:
                    if step.action == "open":
                        return
                self.say("%s: %s", who, step.action)
                if step.action in ("open", "resume"):
                    following = steps[index + 1].at if index + 1 < len(steps) \
                        else self.clock.end
                    await self._serve(who, counter_id, client, following)
        except DayOver:
            pass

    async def _serve(self, who: str, counter_id: int, client: AsyncClient,
                     before: datetime | None) -> None:
        """Call, serve, call again until ``before``; with None, until nobody is waiting."""
        wake = self.wake[counter_id]
        while before is None or self.clock.now() < before:
            wake.clear()
            try:
                ticket = await self.post(who, client, f"/api/v1/counters/{counter_id}/call-next")
            except Refused:
                ticket = None
            if ticket is None:
                if before is None:
                    return
                await self.clock.idle(wake, IDLE_SIM_SECONDS, before)
                continue
            self.tally.called += 1
            await self._handle(who, client, ticket)

    async def _handle(self, who: str, client: AsyncClient, ticket: dict[str, Any]) -> None:
        ticket_id, number, service = ticket["id"], ticket["number"], ticket["service"]
        path = f"/api/v1/tickets/{ticket_id}"
        citizen = self.behaviour_of.get(ticket_id) or Behaviour(
            FALLBACK_WALK_SECONDS, 60 * next((s.service_minutes for s in self.hall.services
                                              if self.hall.codes[s.id] == service), 10.0))
        self.called.add(ticket_id)
        self.say("%s called %s", who, number)
        try:
            if citizen.no_show_after is not None:
                await self.clock.wait(citizen.no_show_after / 2)
                await self.post(who, client, f"{path}/recall")
                await self.clock.wait(citizen.no_show_after / 2)
                await self.post(who, client, f"{path}/no-show")
                self.tally.no_shows += 1
                self.say("%s: %s did not come", who, number)
                return
            await self.clock.wait(citizen.walk_seconds)
            await self.post(who, client, f"{path}/start")
            await self.clock.wait(citizen.service_seconds)
            if (citizen.transfer_to and ticket_id not in self.transferred
                    and service != citizen.transfer_to):
                await self.post(who, client, f"{path}/transfer",
                                {"service": citizen.transfer_to, "reason": TRANSFER_REASON})
                self.transferred.add(ticket_id)
                self.tally.transfers += 1
                self.say("%s sent %s on to %s", who, number, citizen.transfer_to)
                self._line_changed(citizen.transfer_to)
                return
            await self.post(who, client, f"{path}/finish")
            self.tally.served += 1
            if citizen.rating is not None:
                await self.post(who, client, f"{path}/rating", {"rating": citizen.rating})
                self.tally.ratings += 1
        except Refused:
            return  # logged; the next call-next finishes whatever the counter still holds

    async def _progress(self) -> None:
        """A line in the log every simulated hour."""
        zone = ZoneInfo(self.site.timezone)
        hour = self.day.opening.replace(minute=0, second=0, microsecond=0)
        try:
            while True:
                hour += timedelta(hours=1)
                await self.clock.until(hour)
                t = self.tally
                log.info("%s  issued %d, served %d, no-shows %d, transfers %d, gave up %d",
                         hour.astimezone(zone).strftime("%H:%M"), sum(t.issued.values()),
                         t.served, t.no_shows, t.transfers, t.gave_up)
        except DayOver:
            pass


# -- the command


def credentials(args: argparse.Namespace, hall_file: Any) -> Credentials:
    """Who the run logs in as: the options when given, else the hall file's kiosks, officers and
    manager (the sample hall's demo accounts for `antrean serve --demo`)."""
    kiosks = list(args.kiosk_token) or [
        d.token for d in hall_file.device if d.kind == "kiosk" and d.token]
    officers = [_user_password(o) for o in args.officer] or [
        (o.username, o.password) for o in hall_file.officer
        if o.role == "officer" and o.agency and o.password]
    manager = _user_password(args.manager) if args.manager else next(
        ((o.username, o.password) for role in ("manager", "admin") for o in hall_file.officer
         if o.role == role and o.password), None)
    return Credentials(kiosks, officers, manager)


def _user_password(text: str) -> tuple[str, str]:
    username, sep, password = text.partition(":")
    if not sep or not username or not password:
        raise ValueError(f"'{text}' is not USER:PASSWORD")
    return username, password


async def run_live(args: argparse.Namespace) -> int:
    from server.config.hall import ConfigError, load_hall, sample_hall_path

    url = str(args.server).rstrip("/")
    if not url.startswith(("http://", "https://")):
        return _fail(f"--server needs a URL like http://127.0.0.1:8000, not '{args.server}'", 2)
    if args.speed <= 0 or (args.duration_minutes is not None and args.duration_minutes <= 0):
        return _fail("--speed and --duration-minutes must be positive", 2)
    try:
        hall_file = load_hall(args.config or sample_hall_path())
        who = credentials(args, hall_file)
    except (ConfigError, OSError, ValueError) as exc:
        return _fail(str(exc), 2)
    public = AsyncClient(url, retries=1)
    live: LiveDay | None = None
    try:
        sites = [SiteOut.model_validate(s) for s in await public.get("/api/v1/sites")]
        if not sites:
            return _fail(f"the server at {url} runs no hall yet (start it with --config or "
                         "--demo)", 1)
        site = next((s for s in sites if s.code == args.site), None) if args.site else min(
            sites, key=lambda s: s.code)
        if site is None:
            return _fail(f"the server at {url} has no site '{args.site}'; it has "
                         + ", ".join(s.code for s in sites), 1)
        if hall_file.site.code != site.code and not (args.officer and args.kiosk_token):
            log.warning("the hall file describes site %s but the server runs %s: its accounts "
                        "may not work (give --config, or --officer and --kiosk-token)",
                        hall_file.site.code, site.code)
        services = [ServiceOut.model_validate(s)
                    for s in await public.get(f"/api/v1/sites/{site.code}/services")]
        counters = [CounterOut.model_validate(c)
                    for c in await public.get(f"/api/v1/sites/{site.code}/counters")]
        hall = live_hall(services, counters,
                         {s.code: s.service_minutes for s in hall_file.service})
        duration = timedelta(minutes=args.duration_minutes) if args.duration_minutes else None
        day = plan_day(hall, site, Plan(tickets_per_day=args.tickets_per_day), args.seed,
                       duration)
        live = LiveDay(url, site, hall, day, args.speed)
        await live.log_in(who)
        if not live.kiosks:
            return _fail("no kiosk token: give --kiosk-token TOKEN (a kiosk device's token)", 2)
        local = day.opening.astimezone(ZoneInfo(site.timezone))
        real = (day.end - day.opening).total_seconds() / args.speed
        print(f"Playing {site.code} {site.service_day} from {local:%H:%M} to "
              f"{day.end.astimezone(ZoneInfo(site.timezone)):%H:%M} (seed {args.seed}, "
              f"{len(day.arrivals)} citizens) at {args.speed:g}x: about {_span(real)}",
              flush=True)
        started = time.monotonic()
        await live.play()
        stats = await _server_stats(live)
        print(report(live.tally, stats, time.monotonic() - started))
        if day.arrivals and not live.tally.issued:
            return _fail("no ticket could be issued: see the refusals above", 1)
        return 0
    except (httpx.TransportError, OSError) as exc:
        return _fail(f"cannot reach the server at {url}: {exc or type(exc).__name__}. "
                     "Is `antrean serve` running there?", 1)
    except ApiError as exc:
        return _fail(f"the server at {url} refused: {exc.message_en}", 1)
    finally:
        await public.aclose()
        if live is not None:
            await live.aclose()


async def _server_stats(live: LiveDay) -> dict[str, Any] | None:
    if live.manager is None:
        return None
    try:
        answer = await live.manager.get(f"/api/v1/sites/{live.site.code}/stats")
    except ApiError as exc:
        log.warning("the server's statistics were not fetched: %s", exc.message_en)
        return None
    return dict(answer["totals"])


def report(tally: Tally, stats: Mapping[str, Any] | None, seconds: float) -> str:
    per_service = ", ".join(f"{code} {n}" for code, n in sorted(tally.issued.items()))
    lines = [
        f"Played in {_span(seconds)}.",
        f"  issued     {sum(tally.issued.values())}" + (f" ({per_service})" if per_service else "")
        + (f"; {tally.not_issued} refused by the server" if tally.not_issued else ""),
        f"  called     {tally.called}",
        f"  served     {tally.served} ({tally.ratings} rated)",
        f"  no-shows   {tally.no_shows}",
        f"  transfers  {tally.transfers}",
        f"  gave up    {tally.gave_up}",
        f"  refusals   {tally.refusals} (each logged with the server's message)",
    ]
    if stats is None:
        lines.append("The server's statistics were not fetched (no manager account).")
    else:
        lines.append("The server's statistics for today (every ticket of the day, not only "
                     "this run's):")
        lines.append("  " + ", ".join(f"{key.replace('_', '-')} {stats[key]}" for key in (
            "issued", "served", "no_shows", "cancelled", "transferred", "priority")
            if key in stats))
        for key, name in (("wait", "wait"), ("service", "service time")):
            durations = stats.get(key) or {}
            if durations.get("count"):
                lines.append(f"  {name}: median {_span(durations['median'])}, p90 "
                             f"{_span(durations['p90'])}, max {_span(durations['max'])}")
        lines.append("  (the server's clock is real: its times are the simulated ones divided "
                     "by the speed)")
    return "\n".join(lines)


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _fail(message: str, status: int) -> int:
    print(f"antrean simulate: {message}", file=sys.stderr)
    return status

