"""The announcement planner's contract: a display says which calls wait to be heard, the server
answers with the next utterance (by ``common.announce_queue``'s rules) and its audio.

A display keeps its waiting calls with their age (seconds since it learned of each) and asks
whenever its speaker is free; it then holds ``waiting`` (what the queue still holds: superseded
calls gone, a recall in its call's place) and plays ``utterance``: the chime, then each sentence's
audio in turn. The rules live in one place, so every display of a hall, in a browser or not,
says the same calls in the same words in the same order.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from common.protocol.models import _Model, _Request

Language = Literal["id", "en"]


class WaitingCall(_Request):
    ticket_id: int = Field(ge=1)
    number: str = Field(pattern=r"^[A-Z]{1,3}-[0-9]{1,6}$", description="e.g. A-012")
    counter_number: int = Field(ge=1, le=9999)
    agency: str = Field(max_length=40, description="the counter's agency code")
    age_seconds: float = Field(ge=0, le=86_400, description="since the display learned of it")
    recall: bool = False


class PlanRequest(_Request):
    calls: list[WaitingCall] = Field(max_length=200, description="oldest first")
    languages: list[Language] = Field(default=["id"], min_length=1, max_length=2)
    within: float = Field(default=30.0, ge=5, le=600,
                          description="every call is said within this many seconds, or summed up")


class Sentence(_Model):
    language: Language
    text: str
    audio: str = Field(description="where its audio is (GET, with the display's token)")
    seconds: float = Field(description="how long it takes, as far as the server knows")


class UtteranceOut(_Model):
    kind: Literal["call", "folded", "notice"]
    chime: str | None = Field(description="the chime's audio, played first; null: none")
    sentences: list[Sentence]
    said: list[int] = Field(description="tickets called here by name")
    skipped: list[int] = Field(description="tickets a notice sums up: they stand on the screen")


class PlanOut(_Model):
    utterance: UtteranceOut | None = Field(description="null: nothing waits")
    waiting: list[WaitingCall] = Field(description="the calls still waiting, after this one")
