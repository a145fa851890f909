"""The counter's engine, with or without a screen: the desk, the server link and the hardware.

Talking to the server happens on a worker thread and the event stream's own thread; their
outcomes come back as desk events through an inbox, which ``pump`` drains on the caller's
thread (the pygame loop, or the headless loop). Hardware is polled in ``pump`` too, and the LED
is told only what changed.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from common.client import ApiError, BackgroundClient
from common.worker import Worker
from counter_client import desk
from counter_client.hardware import Addressed, CallKeypad, LedDisplay, RatingKeypad
from counter_client.link import CounterServer, Unreachable, retrying, session_ended, stream_items

log = logging.getLogger(__name__)

LED_REFRESH_SECONDS = 30.0  # re-send what the LED shows, in case it lost power

class CounterCore:
    def __init__(self, server: CounterServer, counter_number: int, *,
                 session: desk.Session = "none",
                 keypad: CallKeypad | None = None, rating_keypad: RatingKeypad | None = None,
                 led: LedDisplay | None = None, username: str = "",
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.server = server
        self.counter_number = counter_number
        self.keypad = keypad
        self.rating_keypad = rating_keypad
        self.led = led
        self.monotonic = monotonic
        login = desk.LoginForm(username=username) if session == "none" else None
        self.desk = desk.Desk(session=session, login=login, username=username)
        self.stream: BackgroundClient | None = None
        self._stream_lock = threading.Lock()
        self._inbox: queue.Queue[desk.Event] = queue.Queue()
        self._stop = threading.Event()
        self._led_text: str | None = None
        self._led_at = -1e9
        self._started = False
        self.counter_id: int | None = None
        self._last_seq: int | None = None
        # Unreachable ends the worker only while stopping: retrying gives up when told to stop.
        self._worker = Worker("counter-worker", ends_on=(Unreachable,))

    # ------------------------------------------------------------ life

    def start(self) -> None:
        """Load the counter (retrying until the server answers), then follow its events."""
        self._worker.start()
        if self.desk.session != "none":
            self._started = True
            self._submit(self._bootstrap)

    def stop(self) -> None:
        self._stop.set()
        with self._stream_lock:
            if self.stream is not None:
                self.stream.stop()
                self.stream = None
        self._worker.stop()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until the worker has nothing left to do (for tests and screenshots)."""
        return self._worker.idle(timeout)

    # ------------------------------------------------------------ the caller's thread

    def dispatch_login(self, username: str, password: str) -> None:
        """Log in with credentials given on start (``--password-stdin``)."""
        self.desk = replace(self.desk, login=desk.LoginForm(username=username, busy=True))
        self._submit(lambda: self._login(username, password))

    def deliver(self, event: desk.Event) -> None:
        """Hand an event to the desk from any thread; ``pump`` applies it."""
        self._inbox.put(event)

    def pump(self) -> desk.Desk:
        """Apply what arrived, read the keypads, update the LED; returns the desk."""
        with self._stream_lock:
            pushed = stream_items(self.stream) if self.stream is not None else []
        for event in pushed:
            if isinstance(event, desk.SessionExpired):
                self._close_stream()  # it ends there; a new one starts after the login
            self.dispatch(event)
        while True:
            try:
                self.dispatch(self._inbox.get_nowait())
            except queue.Empty:
                break
        if self.keypad is not None:
            for action in self.keypad.pressed():
                log.info("keypad: %s", action)
                self.dispatch(desk.Press(action, from_keypad=True))
        if self.rating_keypad is not None:
            for rating in self.rating_keypad.ratings():
                log.info("satisfaction keypad: %d", rating)
                self.dispatch(desk.Rated(rating))
        self._update_led()
        return self.desk

    def dispatch(self, event: desk.Event) -> None:
        self.desk, effects = desk.step(self.desk, event)
        self._carry_out(effects)

    def _carry_out(self, effects: Sequence[desk.Effect]) -> None:
        for effect in effects:
            if isinstance(effect, desk.Send):
                self._submit(functools.partial(self._send, effect.command))
            elif isinstance(effect, desk.Login):
                self._submit(functools.partial(self._login, effect.username, effect.password))
            elif isinstance(effect, desk.Refresh):
                self._submit(self._refresh)

    def _update_led(self) -> None:
        if self.led is None:
            return
        text = desk.led_text(self.desk)
        now = self.monotonic()
        if text == self._led_text and now - self._led_at < LED_REFRESH_SECONDS:
            return
        try:
            self.led.show(text)
        except Exception as exc:  # the LED's own failure must not stop the counter
            log.warning("LED display: %s", exc)
            return
        if text != self._led_text:
            log.info("LED shows %r", text)
        self._led_text, self._led_at = text, now

    # ------------------------------------------------------------ the worker

    def _submit(self, job: Callable[[], None]) -> None:
        self._worker.submit(job)

    def _retry(self, call: Callable[[], object], what: str) -> object:
        result = retrying(call, self._stop, self.deliver, what)
        if not self.desk.online:
            self.deliver(desk.Connection(True))
        return result

    def _bootstrap(self) -> None:
        try:
            counters = self._retry(self.server.counters, "load counters")
            services = self._retry(self.server.services, "load services")
        except ApiError as exc:
            self.deliver(desk.Refused("", exc.code, exc.message, exc.message_en))
            return
        assert isinstance(counters, list) and isinstance(services, list)
        mine = next((c for c in counters if c.number == self.counter_number), None)
        if mine is None:
            self.deliver(desk.Refused("", "unknown_counter",
                                      f"Loket {self.counter_number} tidak ada di gedung ini.",
                                      f"There is no counter {self.counter_number} at this site."))
            return
        self.deliver(desk.Catalog(mine, tuple(services)))
        self.counter_id = mine.id
        if mine.bus_address is not None:
            addressed: dict[int, Addressed] = {}
            for device in (self.keypad, self.rating_keypad, self.led):
                if isinstance(device, Addressed):
                    addressed[id(device)] = device  # one device may play all three parts
            for each in addressed.values():
                each.bind(mine.bus_address)
        self._refresh()
        self._open_stream(None)

    def _may_work_here(self) -> None:
        """Ask the server whether the logged-in officer may work this counter (it answers 403
        ``wrong_agency``, naming the counter's agency, when not)."""
        counter_id = self.counter_id
        if counter_id is None:
            counters = self._retry(self.server.counters, "load counters")
            assert isinstance(counters, list)
            counter_id = next((c.id for c in counters if c.number == self.counter_number), None)
        if counter_id is not None:  # an unknown counter is said by the bootstrap
            self._retry(lambda: self.server.counter(counter_id), "check the counter")

    def _open_stream(self, since: int | None) -> None:
        if self.counter_id is None or self._stop.is_set():
            return
        stream = self.server.open_stream(self.counter_id, since)
        with self._stream_lock:
            old, self.stream = self.stream, stream
        if old is not None:
            old.stop()

    def _close_stream(self) -> None:
        with self._stream_lock:
            old, self.stream = self.stream, None
        if old is not None:
            self._last_seq = old.last_seq
            threading.Thread(target=old.stop, daemon=True).start()

    def _refresh(self) -> None:
        try:
            snapshot = self._retry(self.server.snapshot, "snapshot")
        except ApiError as exc:
            self._refused("", exc)
            return
        self.deliver(desk.Synced(snapshot))  # type: ignore[arg-type]
        self.deliver(desk.Connection(True))

    def _send(self, command: desk.Command) -> None:
        what = f"{command.action} {command.number}".strip()
        try:
            body = self._retry(lambda: self.server.post(command.path, command.body, command.key),
                               what)
        except ApiError as exc:
            log.info("%s refused: %s", what, exc)
            self._refused(command.key, exc)
            return
        number = body.get("number") if isinstance(body, dict) else None
        if command.action in ("call_next", "call"):
            log.info("counter %d called %s", self.counter_number, number or "nobody (none waiting)")
        else:
            log.info("%s done", what)
        self.deliver(desk.Answered(command.key, body))  # type: ignore[arg-type]

    def _refused(self, key: str, exc: ApiError) -> None:
        if session_ended(exc):
            self.deliver(desk.SessionExpired(exc.message, exc.message_en))
        else:
            self.deliver(desk.Refused(key, exc.code, exc.message, exc.message_en))

    def _login(self, username: str, password: str) -> None:
        try:
            token = self._retry(lambda: self.server.login(username, password), "login")
        except ApiError as exc:
            self.deliver(desk.LoginFailed(exc.message, exc.message_en))
            return
        try:
            self._may_work_here()
        except ApiError as exc:  # an officer of another agency: refused before any button shows
            log.warning("%s may not work counter %d: %s", username, self.counter_number,
                        exc.message_en)
            self.server.log_out()
            self.deliver(desk.LoginFailed(exc.message, exc.message_en))
            return
        officer = token.officer.name  # type: ignore[attr-defined]
        log.info("logged in as %s", username)
        self.deliver(desk.LoggedIn(officer, username))
        if not self._started:
            self._started = True
            self._bootstrap()
        else:  # the stream carries the token too: resume it with the new one, from where it was
            with self._stream_lock:
                since = self.stream.last_seq if self.stream is not None else self._last_seq
            self._open_stream(since)
