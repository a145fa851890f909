"""Which call the hall hears next, and in what words: a pure policy driven by a clock.

Calls come in bursts (43 counters opening at once) faster than a voice can say them: one call
with its chime takes about 6.4 s in Indonesian, 11 s with English. The rules, in order:

1. **Bounded.** A call is said, in Indonesian, within ``within`` seconds of being made
   (30 s by default), or not by name at all: a call that cannot be reached in time is *skipped*,
   summed up in one short notice ("other numbers are being called too: please look at the
   screen"), counted, and still standing on the screen. Nothing is dropped silently, and the
   hall never hears a call minutes after the officer made it.
2. **Superseded calls are not said.** A recall of a call still waiting replaces it (said once,
   not twice), and so does a counter's next call (the counter has moved on). Both are counted.
3. **Folded.** Calls of one agency waiting together are said in one sentence, up to
   ``fold_limit`` of them: "Nomor antrean A nol nol satu ke loket satu, dan A nol nol dua ke
   loket dua" (one chime, one lead-in).
4. **English only when the queue is short**: a call said with nothing else waiting gets its
   English sentence (when English is on), and a recall is said twice, as far as a call made
   meanwhile can still be said in time after them; otherwise Indonesian once. The English
   sentences and repetitions left out are counted.

Nothing here plays sound or reads a clock: ``add`` takes calls, ``next(now)`` answers with the
next utterance, and ``estimate`` (seconds a sentence takes) lets the planner see whether a call
can still be reached in time. The hall's speakers (``hardware.audio``) follow it; a display in a
browser can follow the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from common.announce import call_text, folded_call_text, skipped_calls_notice

WITHIN_SECONDS = 30.0
FOLD_LIMIT = 4  # more pairs of number and counter in one sentence are hard to follow
CHIME_SECONDS = 1.4

Estimate = Callable[[str, str], float]  # (language, sentence) → seconds


def spoken_seconds(language: str, text: str) -> float:
    """What espeak-ng takes for ``text`` at the hall's 140 words a minute (measured: 5.0 s for
    "Nomor antrean A nol nol satu, silakan menuju loket satu", 11.7 s for four folded calls)."""
    return 0.35 + 0.085 * len(text)


@dataclass(frozen=True)
class Call:
    """One call (or recall) to announce; ``at`` is when it was made, in the clock's seconds."""

    ticket_id: int
    number: str
    counter_number: int
    agency: str
    at: float
    recall: bool = False


@dataclass(frozen=True)
class Utterance:
    """What to play next: a chime, then each sentence in turn."""

    sentences: tuple[tuple[str, str], ...]  # (language, text)
    calls: tuple[Call, ...] = ()  # the calls said here by name
    skipped: tuple[Call, ...] = ()  # the calls a notice sums up
    chime: bool = True

    @property
    def kind(self) -> str:
        if self.skipped:
            return "notice"
        return "folded" if len(self.calls) > 1 else "call"


@dataclass
class Counts:
    """What happened to the calls, for the log and for whoever asks."""

    calls: int = 0  # calls handed to the queue
    said: int = 0  # calls said by name
    folded: int = 0  # of those, said in a sentence with others
    english_said: int = 0
    english_skipped: int = 0  # calls said without their English sentence (English is on)
    repeats_skipped: int = 0  # recalls said once instead of twice
    superseded: int = 0  # not said: replaced by their recall or by their counter's next call
    skipped: int = 0  # not reachable in time: summed up by a notice, still on the screen
    notices: int = 0
    latest_seconds: float = 0.0  # the longest any call waited to be said (or summed up)


@dataclass
class AnnouncementQueue:
    languages: Sequence[str] = ("id",)
    within: float = WITHIN_SECONDS
    fold_limit: int = FOLD_LIMIT
    estimate: Estimate = spoken_seconds
    chime_seconds: float = CHIME_SECONDS
    counts: Counts = field(default_factory=Counts)
    _pending: list[Call] = field(default_factory=list)

    @property
    def pending(self) -> tuple[Call, ...]:
        return tuple(self._pending)

    @property
    def english(self) -> bool:
        return "en" in self.languages

    def add(self, call: Call) -> None:
        """Queue ``call``; one still waiting for the same ticket or counter gives way to it."""
        self.counts.calls += 1
        for index, old in enumerate(self._pending):
            if old.ticket_id == call.ticket_id or old.counter_number == call.counter_number:
                del self._pending[index]
                self.counts.superseded += 1
                if old.ticket_id == call.ticket_id:  # a recall keeps the call's place and time
                    call = Call(call.ticket_id, call.number, call.counter_number, call.agency,
                                old.at, call.recall)
                    self._pending.insert(index, call)
                    return
                break
        self._pending.append(call)

    def next(self, now: float) -> Utterance | None:
        """The utterance to play now, or None when nothing waits."""
        if not self._pending:
            return None
        reserve = 0.0
        while True:  # the notice goes first: plan what still fits after it, until that settles
            groups, overflow = self._plan(now, reserve)
            needed = self._notice_seconds(overflow) if overflow else 0.0
            if needed <= reserve:
                break
            reserve = needed
        if overflow:
            return self._notice(overflow, now)
        calls = groups[0]
        for call in calls:
            self._pending.remove(call)
        return self._say(calls, now)

    # -- planning ----------------------------------------------------------------------------
    def _groups(self) -> list[list[Call]]:
        """The waiting calls as the sentences they would be said in: by agency, oldest first,
        at most ``fold_limit`` a sentence."""
        by_agency: dict[str, list[Call]] = {}
        for call in self._pending:
            by_agency.setdefault(call.agency, []).append(call)
        sentences = [calls[i : i + self.fold_limit]
                     for calls in by_agency.values() for i in range(0, len(calls), self.fold_limit)]
        return sorted(sentences, key=lambda calls: calls[0].at)

    def _seconds(self, calls: Sequence[Call]) -> float:
        return self.chime_seconds + self.estimate("id", self._indonesian(calls))

    def _plan(self, now: float, reserve: float) -> tuple[list[list[Call]], list[Call]]:
        """The sentences that can be said in time (from ``now + reserve``) and the calls that
        cannot."""
        at = now + reserve
        planned: list[list[Call]] = []
        overflow: list[Call] = []
        for calls in self._groups():
            fitting = list(calls)
            while fitting and at + self._seconds(fitting) > min(c.at for c in fitting) + self.within:
                overflow.append(fitting.pop())  # the latest of the sentence gives way first
            if fitting:
                planned.append(fitting)
                at += self._seconds(fitting)
        return planned, overflow

    # -- words -------------------------------------------------------------------------------
    @staticmethod
    def _indonesian(calls: Sequence[Call]) -> str:
        if len(calls) == 1:
            return call_text(calls[0].number, calls[0].counter_number)[0]
        return folded_call_text([(c.number, c.counter_number) for c in calls])

    def _notice_seconds(self, calls: Sequence[Call]) -> float:
        return self.chime_seconds + self.estimate("id", skipped_calls_notice(len(calls)))

    def _notice(self, calls: list[Call], now: float) -> Utterance:
        for call in calls:
            self._pending.remove(call)
        self.counts.skipped += len(calls)
        self.counts.notices += 1
        self._waited(calls, now + self._notice_seconds(calls))
        return Utterance((("id", skipped_calls_notice(len(calls))),), skipped=tuple(calls))

    def _say(self, calls: list[Call], now: float) -> Utterance:
        alone = not self._pending and len(calls) == 1  # nothing else waits: the queue is short
        sentences: list[tuple[str, str]] = [("id", self._indonesian(calls))]
        english, repeated = False, False
        if alone:
            # The extras must leave time for a call made just after they begin: it is said
            # (a chime and one sentence) within the bound all the same.
            room = self.within - 2 * self._seconds(calls)
            call = calls[0]
            if self.english:
                text = call_text(call.number, call.counter_number)[1]
                if self.estimate("en", text) <= room:
                    sentences.append(("en", text))
                    room -= self.estimate("en", text)
                    english = True
            if call.recall and sum(self.estimate(*each) for each in sentences) <= room:
                sentences = sentences * 2
                repeated = True
        if self.english and not english:
            self.counts.english_skipped += len(calls)
        self.counts.english_said += len(calls) if english else 0
        if not repeated:
            self.counts.repeats_skipped += sum(1 for c in calls if c.recall)
        self.counts.said += len(calls)
        if len(calls) > 1:
            self.counts.folded += len(calls)
        self._waited(calls, now + self._seconds(calls))
        return Utterance(tuple(sentences), calls=tuple(calls))

    def _waited(self, calls: Sequence[Call], until: float) -> None:
        for call in calls:
            self.counts.latest_seconds = max(self.counts.latest_seconds, until - call.at)


__all__ = ["AnnouncementQueue", "Call", "Counts", "Utterance", "spoken_seconds"]
