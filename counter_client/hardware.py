"""The counter's own hardware, as the app sees it: a call keypad, a satisfaction keypad and an
LED display. The serial devices (``hardware.serial``) and the tests' fakes both fit these."""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

# A call keypad's keys → the desk's actions. Keys a keypad cannot express (a transfer needs a
# service, an out-of-order call a reason) stay on the screen.
KEYPAD_ACTIONS: dict[str, str] = {
    "next": "call_next", "call_next": "call_next",
    "recall": "recall", "repeat": "recall",
    "start": "start", "serve": "start",
    "finish": "finish", "done": "finish",
    "no_show": "no_show", "skip": "no_show", "absent": "no_show",
    "pause": "pause", "break": "pause",
    "return": "return",
}


class CallKeypad(Protocol):
    def pressed(self) -> list[str]:
        """The desk actions pressed since the last call (oldest first); never blocks."""
        ...


class RatingKeypad(Protocol):
    def ratings(self) -> list[int]:
        """Ratings (1–4) pressed since the last call; never blocks."""
        ...


class LedDisplay(Protocol):
    def show(self, text: str) -> None:
        """Show ``text`` (a ticket number), or blank the display for an empty string."""
        ...


@runtime_checkable
class Addressed(Protocol):
    def bind(self, address: int) -> None:
        """The counter's address on a shared bus, as the hall configures it."""
        ...


class FakeKeypad:
    """A keypad in memory: a test presses, the app reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[str] = []
        self._ratings: list[int] = []

    def press(self, key: str) -> None:
        with self._lock:
            self._keys.append(KEYPAD_ACTIONS.get(key, key))

    def rate(self, rating: int) -> None:
        with self._lock:
            self._ratings.append(rating)

    def pressed(self) -> list[str]:
        with self._lock:
            taken, self._keys = self._keys, []
        return taken

    def ratings(self) -> list[int]:
        with self._lock:
            taken, self._ratings = self._ratings, []
        return taken


class FakeLed:
    """An LED display in memory: remembers everything it was told to show."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    @property
    def text(self) -> str:
        return self.shown[-1] if self.shown else ""

    def show(self, text: str) -> None:
        self.shown.append(text)
