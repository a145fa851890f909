"""A counter desk as a pure state machine: what the officer sees and what each key asks for.

``step(desk, event)`` returns the next desk and the effects the app must carry out (send a
command, log in, fetch a fresh snapshot). Nothing here draws or talks to the server, so every
path — a key pressed twice, a network that went away, a session that expired mid-command, a
rating pressed while the finish is still on its way — is tested directly.

The server is the truth: the desk shows what the server answered or pushed, and asks for a fresh
snapshot whenever it is unsure. One officer command is in flight at a time (the buttons disable
while it is); it keeps its ``Idempotency-Key`` through every retry, so it never acts twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from common.design import PAUSE_REASONS
from common.protocol import events as ev
from common.protocol.models import CounterOut, CounterState, ServiceOut, Snapshot, TicketOut

Language = Literal["id", "en"]
Message = tuple[str, str]  # (Indonesian, English)
Session = Literal["none", "active", "expired", "device"]

# What a key, a button or a keypad asks for. "pause" is the counter's state key: it opens a
# closed counter, pauses an open one (asking why) and resumes a paused one.
ACTIONS = ("call_next", "recall", "start", "finish", "no_show", "transfer", "return", "call",
           "pause", "close", "language")
COUNTER_COMMANDS = frozenset({"open", "pause", "resume", "close", "call_next", "call"})
NO_SHOW_MEMORY = 5
KEYPAD_PAUSE_REASON = "Istirahat"


# ---------------------------------------------------------------- what happens to the desk

@dataclass(frozen=True)
class Press:
    """A key, a button or a keypad key. Inside a picker or prompt: up, down, enter, escape,
    backspace, tab, or ``pick:N``."""

    action: str
    from_keypad: bool = False


@dataclass(frozen=True)
class Typed:
    text: str


@dataclass(frozen=True)
class Rated:
    """The satisfaction keypad: 4 very satisfied … 1 not satisfied."""

    rating: int


@dataclass(frozen=True)
class Catalog:
    """The site's services (for the transfer picker) and this counter's description."""

    counter: CounterOut
    services: tuple[ServiceOut, ...]


@dataclass(frozen=True)
class Synced:
    """A fresh snapshot of the site: the truth replaces whatever the desk believed."""

    snapshot: Snapshot


@dataclass(frozen=True)
class Pushed:
    event: ev.Event


@dataclass(frozen=True)
class Answered:
    key: str
    body: dict[str, Any] | None  # None for 204 No Content


@dataclass(frozen=True)
class Refused:
    key: str
    code: str
    message: str
    message_en: str


@dataclass(frozen=True)
class Connection:
    online: bool
    detail: str = ""


@dataclass(frozen=True)
class SessionExpired:
    message: str = "Sesi Anda sudah berakhir; silakan masuk lagi."
    message_en: str = "Your session has expired; please log in again."


@dataclass(frozen=True)
class LoggedIn:
    officer: str  # the name to show
    username: str = ""


@dataclass(frozen=True)
class LoginFailed:
    message: str
    message_en: str


Event = (Press | Typed | Rated | Catalog | Synced | Pushed | Answered | Refused | Connection
         | SessionExpired | LoggedIn | LoginFailed)


# ---------------------------------------------------------------- what the app must do

@dataclass(frozen=True)
class Command:
    """One POST to the server, with the key every retry of it carries."""

    action: str  # call_next, recall, start, finish, no_show, return, transfer, call, rating,
    #              open, pause, resume, close
    target: int  # the counter's id for counter commands, else the ticket's id
    body: dict[str, Any] | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    number: str = ""  # the ticket's number, for the words on screen and in the log
    holding: tuple[int, str] | None = None  # call-next, call: the ticket it finishes first
    site: str = ""  # check_in: the site's code

    @property
    def path(self) -> str:
        verb = self.action.replace("_", "-")
        if self.action == "check_in":
            return f"/api/v1/sites/{self.site}/check-in"
        if self.action in COUNTER_COMMANDS:
            return f"/api/v1/counters/{self.target}/{verb}"
        return f"/api/v1/tickets/{self.target}/{verb}"


@dataclass(frozen=True)
class Send:
    command: Command


@dataclass(frozen=True)
class Login:
    username: str
    password: str


@dataclass(frozen=True)
class Refresh:
    """Ask the server for a fresh snapshot."""


Effect = Send | Login | Refresh


# ---------------------------------------------------------------- the state

@dataclass(frozen=True)
class Current:
    """The ticket at the counter. Times may be unknown when only an event told of it."""

    id: int
    number: str
    service: str
    service_name: str
    service_name_en: str | None
    priority: bool
    status: str
    issued_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    call_count: int = 1
    # A visit of several services: its stop here (position, of how many), and where it goes
    # after this counter (Indonesian, English), or None at its last stop.
    visit_step: tuple[int, int] | None = None
    goes_next: tuple[str, str] | None = None

    @classmethod
    def of(cls, ticket: TicketOut) -> Current:
        step: tuple[int, int] | None = None
        goes_next: tuple[str, str] | None = None
        visit = ticket.visit
        if visit is not None and visit.current is not None and len(visit.stops) > 1:
            step = (visit.current, len(visit.stops))
            nxt = next((s for s in visit.stops if s.service == visit.next_service), None)
            if nxt is not None:
                goes_next = (nxt.service_name, nxt.service_name_en or nxt.service_name)
        return cls(ticket.id, ticket.number, ticket.service, ticket.service_name,
                   ticket.service_name_en, ticket.priority, ticket.status, ticket.issued_at,
                   ticket.called_at, ticket.started_at, ticket.call_count, step, goes_next)

    @classmethod
    def of_ref(cls, ref: ev.TicketRef, called_at: datetime) -> Current:
        return cls(ref.id, ref.number, ref.service, ref.service_name, ref.service_name_en,
                   ref.priority, ref.status, called_at=called_at)


@dataclass(frozen=True)
class Queue:
    service: str
    waiting: int
    waiting_priority: int


@dataclass(frozen=True)
class Picker:
    """A choice in a list: services for a transfer, reasons for a pause, no-shows to return."""

    kind: Literal["transfer", "pause", "return"]
    choices: tuple[tuple[str, str, str], ...]  # (value, Indonesian label, English label)
    index: int = 0


@dataclass(frozen=True)
class Prompt:
    """A line of text: a pause reason, a ticket number to call, the reason for calling it."""

    kind: Literal["pause", "call_number", "call_reason", "check_in"]
    text: str = ""
    ticket_id: int | None = None  # call_reason: the ticket seen with that number, if any
    number: str = ""


@dataclass(frozen=True)
class LoginForm:
    username: str = ""
    password: str = ""
    field: Literal["username", "password"] = "username"
    busy: bool = False


@dataclass(frozen=True)
class Desk:
    counter_id: int | None = None
    counter_number: int = 0
    counter_name: str = ""
    agency: str = ""
    services: tuple[str, ...] = ()  # the codes this counter serves, by weight
    site_services: tuple[ServiceOut, ...] = ()
    state: CounterState = "closed"
    pause_reason: str | None = None
    current: Current | None = None
    queues: tuple[Queue, ...] = ()
    served: frozenset[int] = frozenset()
    served_base: int = 0  # finished today by the server's count at the last snapshot
    served_at_base: frozenset[int] = frozenset()  # what ``served`` held then
    service_day: date | None = None
    last_finished: tuple[int, str] | None = None  # (id, number): where a rating goes
    rated: frozenset[int] = frozenset()
    no_shows: tuple[tuple[int, str], ...] = ()  # recent no-shows here, newest first
    known: tuple[tuple[str, int], ...] = ()  # waiting numbers of this counter's lines → ids
    seq: int = 0
    online: bool = False
    site: str = ""  # the site's code, from the snapshot

    @property
    def served_today(self) -> int:
        """The server's count at the last snapshot, plus what finished here since."""
        return self.served_base + len(self.served - self.served_at_base)
    offline_detail: str = ""
    session: Session = "none"
    officer: str = ""
    username: str = ""  # kept through an expired session: the form only wants the password
    login: LoginForm | None = None
    pending: Command | None = None
    held_rating: int | None = None  # pressed while a finish was on its way
    ratings: tuple[tuple[str, str, int], ...] = ()  # in flight: (key, number, rating)
    modal: Picker | Prompt | None = None
    error: Message | None = None
    notice: Message | None = None
    language: Language = "id"

    # ------------------------------------------------------------ derived

    @property
    def ready(self) -> bool:
        """Whether a new officer command may be sent now."""
        return (self.online and self.pending is None and self.counter_id is not None
                and self.session in ("active", "device"))

    def waiting_here(self) -> int:
        return sum(q.waiting for q in self.queues if q.service in self.services)

    def queue(self, service: str) -> Queue:
        return next((q for q in self.queues if q.service == service), Queue(service, 0, 0))

    def service_names(self, code: str) -> Message:
        found = next((s for s in self.site_services if s.code == code), None)
        if found is None:
            return (code, code)
        return (found.name, found.name_en or found.name)

    def service_label(self, code: str) -> str:
        return self.service_names(code)[1 if self.language == "en" else 0]

    def enabled(self, action: str) -> bool:
        """Whether the button for ``action`` does something now (the screen greys the rest)."""
        if action == "language":
            return True
        if not self.ready or self.modal is not None:
            return False
        holding = self.current is not None
        if action in ("recall", "finish", "no_show", "transfer"):
            return holding
        if action == "start":
            return holding and self.current is not None and self.current.status == "called"
        if action in ("call_next", "call"):
            return self.state == "open"
        if action == "return":
            return bool(self.no_shows)
        if action == "close":
            return self.state != "closed" and not holding
        return action == "pause"


def led_text(desk: Desk) -> str:
    """What the counter's LED display shows: the number at the counter; blank otherwise."""
    if desk.state == "closed" or desk.current is None:
        return ""
    return desk.current.number


def _say(text_id: str, text_en: str) -> Message:
    return (text_id, text_en)


NUMBER = re.compile(r"^\s*([A-Za-z]{1,3})\s*-?\s*(\d{1,4})\s*$")


def normalize_number(text: str) -> str | None:
    """What the officer typed (``a13``, ``A-013``, ``A 13``) as a ticket number, or None."""
    match = NUMBER.match(text)
    if match is None:
        return None
    return f"{match.group(1).upper()}-{int(match.group(2)):03d}"


# ---------------------------------------------------------------- the step

def step(desk: Desk, event: Event) -> tuple[Desk, Sequence[Effect]]:
    if isinstance(event, Press):
        return _press(desk, event)
    if isinstance(event, Typed):
        return _typed(desk, event.text), ()
    if isinstance(event, Rated):
        return _rated(desk, event.rating)
    if isinstance(event, Catalog):
        counter = event.counter
        services = tuple(code for code, _ in sorted(counter.services.items(),
                                                    key=lambda item: (-item[1], item[0])))
        return replace(desk, counter_id=counter.id, counter_number=counter.number,
                       counter_name=counter.name, agency=counter.agency.code, services=services,
                       site_services=event.services, state=counter.state,
                       pause_reason=counter.pause_reason), ()
    if isinstance(event, Synced):
        return _synced(desk, event.snapshot), ()
    if isinstance(event, Pushed):
        return _pushed(desk, event.event)
    if isinstance(event, Answered):
        return _answered(desk, event)
    if isinstance(event, Refused):
        return _refused(desk, event)
    if isinstance(event, Connection):
        if event.online:
            return replace(desk, online=True, offline_detail=""), ()
        return replace(desk, online=False, offline_detail=event.detail), ()
    if isinstance(event, SessionExpired):
        if desk.session == "device":  # a keypad's token cannot log in again: say so
            return replace(desk, pending=None, error=_say(
                "Token perangkat ditolak server. Periksa --token (antrean device list).",
                "The server refused the device token. Check --token (antrean device list).")), ()
        # The counter's state stays; the pending command waits for the new login, same key.
        if desk.session == "expired" and desk.login is not None:
            return desk, ()
        return replace(desk, session="expired", modal=None,
                       login=LoginForm(username=desk.username,
                                       field="password" if desk.username else "username"),
                       error=(event.message, event.message_en)), ()
    if isinstance(event, LoggedIn):
        desk = replace(desk, session="active", officer=event.officer,
                       username=event.username or desk.username, login=None, error=None)
        effects: list[Effect] = [Refresh()]
        if desk.pending is not None:
            effects.append(Send(desk.pending))
        return desk, effects
    if isinstance(event, LoginFailed):
        form = desk.login or LoginForm()
        return replace(desk, login=replace(form, busy=False, password=""),
                       error=(event.message, event.message_en)), ()
    raise TypeError(f"not a desk event: {event!r}")


# ------------------------------------------------------------ keys

def _press(desk: Desk, press: Press) -> tuple[Desk, Sequence[Effect]]:
    action = press.action
    if action == "language":
        return replace(desk, language="en" if desk.language == "id" else "id"), ()
    if desk.login is not None:
        return _login_key(desk, action)
    if isinstance(desk.modal, Picker):
        return _picker_key(desk, desk.modal, action)
    if isinstance(desk.modal, Prompt):
        return _prompt_key(desk, desk.modal, action)
    if action in ("escape", "enter", "up", "down", "tab", "backspace") or action.startswith("pick:"):
        if action == "escape":
            return replace(desk, error=None, notice=None), ()
        return desk, ()
    if action == "check_in":
        # A citizen booked online shows the officer their code (or QR): checked in here, the
        # ticket joins the line as at the kiosk.
        if desk.counter_id is None or not desk.site:
            return desk, ()
        return replace(desk, modal=Prompt("check_in"), error=None, notice=None), ()
    if action not in ACTIONS:
        return desk, ()
    if press.from_keypad and action in ("transfer", "call", "close"):
        return replace(desk, error=_say("Tombol ini hanya dapat dipakai dari layar loket.",
                                        "This key works from the counter's screen only.")), ()
    refusal = _why_not(desk, action)
    if refusal is not None:
        return replace(desk, error=refusal, notice=None), ()
    desk = replace(desk, error=None, notice=None)
    current = desk.current
    assert desk.counter_id is not None
    if action == "call_next":
        return _send(desk, Command("call_next", desk.counter_id, holding=_holding(desk)))
    if action in ("recall", "start", "finish", "no_show"):
        assert current is not None
        return _send(desk, Command(action, current.id, number=current.number))
    if action == "transfer":
        assert current is not None
        choices = _transfer_choices(desk, current.service)
        if not choices:
            return replace(desk, error=_say("Tidak ada layanan lain untuk tujuan pindah.",
                                            "There is no other service to transfer to.")), ()
        return replace(desk, modal=Picker("transfer", choices)), ()
    if action == "return":
        if len(desk.no_shows) == 1 or press.from_keypad:  # a keypad returns the latest
            ticket_id, number = desk.no_shows[0]
            return _send(desk, Command("return", ticket_id, {"reason": None}, number=number))
        choices = tuple((str(i), n, n) for i, n in desk.no_shows)
        return replace(desk, modal=Picker("return", choices)), ()
    if action == "call":
        return replace(desk, modal=Prompt("call_number")), ()
    if action == "close":
        return _send(desk, Command("close", desk.counter_id))
    # pause: the counter's state key
    if desk.state == "closed":
        return _send(desk, Command("open", desk.counter_id))
    if desk.state == "paused":
        return _send(desk, Command("resume", desk.counter_id))
    if press.from_keypad:
        return _send(desk, Command("pause", desk.counter_id, {"reason": KEYPAD_PAUSE_REASON}))
    choices = (*((i, i, e) for i, e in PAUSE_REASONS), ("", "Lainnya…", "Other…"))
    return replace(desk, modal=Picker("pause", choices)), ()


def _holding(desk: Desk) -> tuple[int, str] | None:
    return (desk.current.id, desk.current.number) if desk.current is not None else None


def _why_not(desk: Desk, action: str) -> Message | None:
    """Why ``action`` cannot be done now, in plain words; None when it can."""
    if desk.session == "expired":
        return _say("Sesi berakhir: masuk lagi dulu.", "Session expired: log in again first.")
    if not desk.online:
        return _say("Tidak terhubung ke server. Menyambung kembali…",
                    "Not connected to the server. Reconnecting…")
    if desk.pending is not None:
        return _say("Tunggu, perintah sebelumnya masih dikirim.",
                    "Wait, the previous command is still on its way.")
    if desk.counter_id is None:
        return _say("Data loket belum dimuat.", "The counter's details have not loaded yet.")
    if action in ("recall", "start", "finish", "no_show", "transfer") and desk.current is None:
        return _say("Tidak ada nomor di loket ini. Tekan F1 untuk memanggil.",
                    "No ticket at this counter. Press F1 to call one.")
    if action == "start" and desk.current is not None and desk.current.status != "called":
        return _say(f"{desk.current.number} sudah dilayani.",
                    f"{desk.current.number} is already being served.")
    if action in ("call_next", "call") and desk.state != "open":
        if desk.state == "paused":
            return _say("Loket sedang jeda. Tekan F7 untuk melanjutkan.",
                        "The counter is paused. Press F7 to resume.")
        return _say("Loket tutup. Tekan F7 untuk membuka.", "The counter is closed. Press F7 to open.")
    if action == "return" and not desk.no_shows:
        return _say("Belum ada nomor yang tidak hadir di loket ini.",
                    "No ticket has been marked absent at this counter.")
    if action == "close" and desk.current is not None:
        return _say(f"Selesaikan {desk.current.number} dulu sebelum menutup loket.",
                    f"Finish {desk.current.number} before closing the counter.")
    if action == "close" and desk.state == "closed":
        return _say("Loket sudah tutup.", "The counter is already closed.")
    return None


def _transfer_choices(desk: Desk, current_service: str) -> tuple[tuple[str, str, str], ...]:
    """Every other service of the site, this agency's first."""
    others = [s for s in desk.site_services if s.code != current_service]
    others.sort(key=lambda s: (s.agency.code != desk.agency, s.agency.code, s.name))
    return tuple((s.code, f"{s.prefix} · {s.name}", f"{s.prefix} · {s.name_en or s.name}")
                 for s in others)


def _send(desk: Desk, command: Command) -> tuple[Desk, Sequence[Effect]]:
    return replace(desk, pending=command, modal=None), (Send(command),)


def _picker_key(desk: Desk, picker: Picker, action: str) -> tuple[Desk, Sequence[Effect]]:
    count = len(picker.choices)
    if action == "escape":
        return replace(desk, modal=None), ()
    if action in ("up", "down"):
        index = (picker.index + (1 if action == "down" else -1)) % count
        return replace(desk, modal=replace(picker, index=index)), ()
    if action.startswith("pick:"):
        index = int(action.partition(":")[2])
        if not 0 <= index < count:
            return desk, ()
        picker = replace(picker, index=index)
    elif action != "enter":
        return desk, ()
    value = picker.choices[picker.index][0]
    if not desk.ready:
        return replace(desk, modal=None, error=_why_not(desk, picker.kind)), ()
    assert desk.counter_id is not None
    if picker.kind == "transfer":
        if desk.current is None:
            return replace(desk, modal=None), ()
        return _send(desk, Command("transfer", desk.current.id, {"service": value, "reason": None},
                                   number=desk.current.number))
    if picker.kind == "return":
        number = picker.choices[picker.index][1]
        return _send(desk, Command("return", int(value), {"reason": None}, number=number))
    if not value:  # pause, "other…": type the reason
        return replace(desk, modal=Prompt("pause")), ()
    return _send(desk, Command("pause", desk.counter_id, {"reason": value}))


def _prompt_key(desk: Desk, prompt: Prompt, action: str) -> tuple[Desk, Sequence[Effect]]:
    if action == "escape":
        return replace(desk, modal=None), ()
    if action == "backspace":
        return replace(desk, modal=replace(prompt, text=prompt.text[:-1])), ()
    if action != "enter":
        return desk, ()
    text = prompt.text.strip()
    if prompt.kind == "check_in":
        if not text:
            return replace(desk, error=_say("Ketik kode pendaftaran.", "Type the booking code.")), ()
        assert desk.counter_id is not None
        return _send(replace(desk, modal=None, error=None),
                     Command("check_in", desk.counter_id, {"code": text}, site=desk.site))
    if prompt.kind == "call_number":
        number = normalize_number(text)
        if number is None:
            return replace(desk, error=_say("Ketik nomor seperti A-013.",
                                            "Type a number such as A-013.")), ()
        # A number this app has not seen (it was restarted, or missed the event) goes to the
        # server as printed; the server finds today's ticket and says if it cannot be called.
        ticket_id = dict(desk.known).get(number)
        return replace(desk, error=None,
                       modal=Prompt("call_reason", ticket_id=ticket_id, number=number)), ()
    if len(text) < (3 if prompt.kind == "call_reason" else 2):
        return replace(desk, error=_say("Tuliskan alasannya (dicatat dalam jejak audit).",
                                        "Write the reason (it is kept in the audit trail).")), ()
    if not desk.ready:
        return replace(desk, modal=None, error=_why_not(desk, "call")), ()
    assert desk.counter_id is not None
    if prompt.kind == "call_reason":
        which: dict[str, object] = ({"ticket_id": prompt.ticket_id} if prompt.ticket_id
                                    is not None else {"number": prompt.number})
        return _send(desk, Command("call", desk.counter_id, {**which, "reason": text},
                                   number=prompt.number, holding=_holding(desk)))
    return _send(desk, Command("pause", desk.counter_id, {"reason": text}))


def _typed(desk: Desk, text: str) -> Desk:
    if desk.login is not None:
        form = desk.login
        if form.field == "username":
            return replace(desk, login=replace(form, username=(form.username + text)[:40]))
        return replace(desk, login=replace(form, password=(form.password + text)[:200]))
    if isinstance(desk.modal, Prompt):
        limit = 12 if desk.modal.kind == "call_number" else 200
        return replace(desk, modal=replace(desk.modal, text=(desk.modal.text + text)[:limit]))
    return desk


def _login_key(desk: Desk, action: str) -> tuple[Desk, Sequence[Effect]]:
    form = desk.login
    assert form is not None
    if form.busy:
        return desk, ()
    if action in ("tab", "down", "up"):
        other: Literal["username", "password"] = (
            "password" if form.field == "username" else "username")
        return replace(desk, login=replace(form, field=other)), ()
    if action == "backspace":
        if form.field == "username":
            return replace(desk, login=replace(form, username=form.username[:-1])), ()
        return replace(desk, login=replace(form, password=form.password[:-1])), ()
    if action == "enter":
        if form.field == "username" and form.username:
            return replace(desk, login=replace(form, field="password")), ()
        if not form.username or not form.password:
            return replace(desk, error=_say("Isi nama pengguna dan kata sandi.",
                                            "Fill in the username and the password.")), ()
        return (replace(desk, login=replace(form, busy=True), error=None),
                (Login(form.username, form.password),))
    return desk, ()


# ------------------------------------------------------------ ratings

def _rated(desk: Desk, rating: int) -> tuple[Desk, Sequence[Effect]]:
    if not 1 <= rating <= 4:
        return desk, ()
    pending = desk.pending
    if pending is not None and pending.action in ("finish", "call_next"):
        # The citizen rated while the finish is on its way: the rating is theirs, so wait.
        return replace(desk, held_rating=rating), ()
    target = desk.last_finished
    if target is None or target[0] in desk.rated:
        return desk, ()  # nobody to rate, or already rated: one rating per ticket
    ticket_id, number = target
    command = Command("rating", ticket_id, {"rating": rating}, number=number)
    return (replace(desk, rated=desk.rated | {ticket_id},
                    ratings=(*desk.ratings, (command.key, number, rating))), (Send(command),))


# ------------------------------------------------------------ the server's word

def _synced(desk: Desk, snapshot: Snapshot) -> Desk:
    mine = next((c for c in snapshot.counters if c.counter.id == desk.counter_id), None)
    if snapshot.site.service_day != desk.service_day:
        desk = replace(desk, served=frozenset(), rated=frozenset(), no_shows=(), known=(),
                       last_finished=None, service_day=snapshot.site.service_day)
    elif snapshot.seq < desk.seq:
        # Read before events this desk has already applied (an HTTP answer overtaken by the
        # stream): taking it would roll the queues and the counter back.
        return desk
    queues = tuple(Queue(q.service, q.waiting, q.waiting_priority) for q in snapshot.queues)
    desk = replace(desk, queues=queues, seq=snapshot.seq, site=snapshot.site.code)
    if mine is None:
        return desk
    current = Current.of(mine.ticket) if mine.ticket is not None else None
    return replace(desk, state=mine.counter.state, pause_reason=mine.counter.pause_reason,
                   current=current, served_base=mine.counter.served_today,
                   served_at_base=desk.served)


def _mine(desk: Desk, counter: ev.CounterRef | None) -> bool:
    return counter is not None and counter.id == desk.counter_id


def _forget(known: tuple[tuple[str, int], ...], ticket_id: int) -> tuple[tuple[str, int], ...]:
    return tuple((n, i) for n, i in known if i != ticket_id)


def _learn(desk: Desk, ref: ev.TicketRef) -> Desk:
    known = _forget(desk.known, ref.id)
    if ref.service in desk.services and ref.status == "waiting":
        known = ((ref.number, ref.id), *known)
    return replace(desk, known=known)


def _pushed(desk: Desk, event: ev.Event) -> tuple[Desk, Sequence[Effect]]:
    if event.seq:
        desk = replace(desk, seq=max(desk.seq, event.seq))
    if isinstance(event, ev.QueueSummary):
        update = {q.service: Queue(q.service, q.waiting, q.waiting_priority) for q in event.queues}
        kept = tuple(update.pop(q.service, q) for q in desk.queues)
        return replace(desk, queues=kept + tuple(update.values())), ()
    if isinstance(event, ev.CounterStateChanged):
        if _mine(desk, event.counter):
            return replace(desk, state=event.state, pause_reason=event.pause_reason), ()
        return desk, ()
    if isinstance(event, (ev.TicketIssued, ev.TicketReturned, ev.TicketTransferred)):
        desk = _learn(desk, event.ticket)
        if isinstance(event, ev.TicketReturned):
            desk = replace(desk, no_shows=tuple(n for n in desk.no_shows if n[0] != event.ticket.id))
    if isinstance(event, ev.TicketCancelled):
        desk = replace(desk, known=_forget(desk.known, event.ticket.id))
    if isinstance(event, (ev.TicketCalled, ev.TicketRecalled)):
        desk = replace(desk, known=_forget(desk.known, event.ticket.id))
    counter = getattr(event, "counter", None)
    ticket: ev.TicketRef | None = getattr(event, "ticket", None)
    if ticket is None:
        return desk, ()
    current = desk.current
    holding = current is not None and current.id == ticket.id
    if isinstance(event, ev.TicketCancelled | ev.TicketTransferred) and holding:
        return replace(desk, current=None), ()
    if not _mine(desk, counter):
        return desk, ()
    if isinstance(event, (ev.TicketCalled, ev.TicketRecalled)):
        if holding and current is not None:
            count = event.call_count if isinstance(event, ev.TicketRecalled) else current.call_count
            return replace(desk, current=replace(current, status=ticket.status,
                                                 call_count=count)), ()
        # Called here by someone else (the keypad, a second screen): show it, then ask for the
        # whole ticket (its issue time) rather than guess.
        return replace(desk, current=Current.of_ref(ticket, event.at)), (Refresh(),)
    if isinstance(event, ev.TicketServing):
        if holding and current is not None:
            return replace(desk, current=replace(current, status="serving",
                                                 started_at=current.started_at or event.at)), ()
        return replace(desk, current=replace(Current.of_ref(ticket, event.at), status="serving",
                                             started_at=event.at)), (Refresh(),)
    if isinstance(event, ev.TicketFinished):
        desk = _finished(desk, ticket.id, ticket.number)
        return (replace(desk, current=None) if holding else desk), ()
    if isinstance(event, ev.TicketNoShow):
        desk = _absent(desk, ticket.id, ticket.number)
        return (replace(desk, current=None) if holding else desk), ()
    return desk, ()


def _finished(desk: Desk, ticket_id: int, number: str) -> Desk:
    if ticket_id in desk.served:
        return desk
    return replace(desk, served=desk.served | {ticket_id}, last_finished=(ticket_id, number))


def _absent(desk: Desk, ticket_id: int, number: str) -> Desk:
    kept = tuple(n for n in desk.no_shows if n[0] != ticket_id)
    return replace(desk, no_shows=((ticket_id, number), *kept)[:NO_SHOW_MEMORY])


def _answered(desk: Desk, answer: Answered) -> tuple[Desk, Sequence[Effect]]:
    command = desk.pending
    if command is None or command.key != answer.key:
        return _rating_answered(desk, answer), ()
    desk = replace(desk, pending=None, error=None)
    body = answer.body
    effects: list[Effect] = []
    if command.action in ("open", "pause", "resume", "close") and body is not None:
        counter = CounterOut.model_validate(body)
        desk = replace(desk, state=counter.state, pause_reason=counter.pause_reason)
    elif command.action in ("call_next", "call"):
        if command.holding is not None:  # the server finished it before calling the next
            desk = _finished(desk, *command.holding)
        if body is None:
            desk = replace(desk, current=None, notice=_say(
                "Tidak ada yang menunggu di layanan loket ini.",
                "Nobody is waiting for this counter's services."))
        else:
            ticket = TicketOut.model_validate(body)
            desk = replace(desk, current=Current.of(ticket), known=_forget(desk.known, ticket.id))
    elif command.action in ("recall", "start") and body is not None:
        desk = replace(desk, current=Current.of(TicketOut.model_validate(body)))
    elif command.action == "finish":
        desk = replace(_finished(desk, command.target, command.number), current=None)
    elif command.action == "no_show":
        desk = replace(_absent(desk, command.target, command.number), current=None)
    elif command.action == "return":
        desk = replace(desk, no_shows=tuple(n for n in desk.no_shows if n[0] != command.target),
                       notice=_say(f"{command.number} kembali ke antrean.",
                                   f"{command.number} is back in the line."))
    elif command.action == "check_in" and body is not None:
        ticket = TicketOut.model_validate(body)
        desk = replace(desk, notice=_say(
            f"{ticket.number} sudah check-in dan masuk antrean {ticket.service}.",
            f"{ticket.number} is checked in and in the {ticket.service} line."))
    elif command.action == "transfer":
        name_id, name_en = desk.service_names(str((command.body or {}).get("service", "")))
        desk = replace(desk, current=None,
                       notice=_say(f"{command.number} dipindah ke {name_id}.",
                                   f"{command.number} moved to {name_en}."))
    if desk.held_rating is not None:
        rating = desk.held_rating
        desk, more = _rated(replace(desk, held_rating=None), rating)
        effects.extend(more)
    return desk, effects


def _rating_answered(desk: Desk, answer: Answered) -> Desk:
    found = next((r for r in desk.ratings if r[0] == answer.key), None)
    if found is None:
        return desk
    _, number, rating = found
    return replace(desk, ratings=tuple(r for r in desk.ratings if r[0] != answer.key),
                   notice=_say(f"Terima kasih: nilai {rating} untuk {number}.",
                               f"Thank you: rating {rating} for {number}."))


def _refused(desk: Desk, refusal: Refused) -> tuple[Desk, Sequence[Effect]]:
    message = (refusal.message, refusal.message_en)
    if desk.pending is None or desk.pending.key != refusal.key:
        # A rating the server turned down (already rated, not finished).
        return replace(desk, error=message,
                       ratings=tuple(r for r in desk.ratings if r[0] != refusal.key)), ()
    # The server knows better than the desk; fetch its truth so the screen matches it.
    return replace(desk, pending=None, held_rating=None, error=message), (Refresh(),)
