"""The hall's voice on the server: calls worded as the hall says, each sentence rendered once
from the hall's voice pack (a pack of tones made here) and served to every display; the planner
answers as the announcement queue would."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from audio_samples import tone_pack, voiced_hall
from conftest import DISPLAY, KIOSK, SMALL_HALL, Hall, running_hall

from common.announce import Wording, phrases
from common.announce_queue import AnnouncementQueue, Call, spoken_seconds

TONES = phrases("ABCPZ", ["Samsat", "Dukcapil"])


@pytest.fixture
async def voiced(tmp_path: Path) -> AsyncIterator[Hall]:
    config = voiced_hall(tmp_path / "hall.toml", tone_pack(tmp_path / "pack", TONES), SMALL_HALL)
    async with running_hall(f"sqlite:///{tmp_path / 'data' / 'antrean.db'}", tmp_path / "data",
                            config) as hall:
        yield hall


def _seconds(body: bytes) -> float:
    with wave.open(io.BytesIO(body)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth()) == (1, 2)
        return clip.getnframes() / clip.getframerate()


async def test_a_call_is_worded_and_voiced_as_the_hall_says(voiced: Hall) -> None:
    siti = await voiced.login("siti")
    budi = await voiced.login("budi")
    for _ in range(12):
        await voiced.issue("KTP")
    await voiced.issue("PKB")
    counter = await voiced.open_counter(1, siti)
    for _ in range(12):
        called = (await voiced.client.post(f"/api/v1/counters/{counter}/call-next",
                                           headers=siti)).json()
    assert called["number"] == "A-012"
    samsat = await voiced.open_counter(3, budi)
    await voiced.client.post(f"/api/v1/counters/{samsat}/call-next", headers=budi)
    snapshot = (await voiced.client.get("/api/v1/sites/TEST/snapshot", headers=DISPLAY)).json()
    assert snapshot["site"]["voice"] == {"numbers": "words", "agencies": {
        "DUKCAPIL": "Dukcapil", "SAMSAT": "Samsat"}}

    text = "Nomor antrean A dua belas, silakan menuju loket satu, Dukcapil"
    voices = voiced.context.voices
    for _ in range(100):  # rendered as soon as the call was committed, before anyone asked
        if voices.counts.rendered >= 13:
            break
        await asyncio.sleep(0.05)
    first = await voiced.client.get("/api/v1/sites/TEST/audio", params={
        "language": "id", "text": text}, headers=DISPLAY)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "audio/wav" and first.headers["x-antrean-audio"] == "hit"
    # nine phrases of 0.2 s, with short gaps and two pauses at commas: the pack, not espeak
    assert 9 * 0.2 < _seconds(first.content) < 9 * 0.2 + 8 * 0.11 + 2 * 0.3
    samsat_text = "Nomor antrean P satu, silakan menuju loket tiga, Samsat"
    again = await voiced.client.get("/api/v1/sites/TEST/audio", params={
        "language": "id", "text": samsat_text}, headers=DISPLAY)
    assert again.status_code == 200 and again.headers["x-antrean-audio"] == "hit"


async def test_many_displays_asking_at_once_cost_one_rendering(voiced: Hall) -> None:
    text = "Nomor antrean A satu ke loket satu, dan A dua ke loket dua, Dukcapil"
    answers = await asyncio.gather(*(voiced.client.get(
        "/api/v1/sites/TEST/audio", params={"language": "id", "text": text}, headers=DISPLAY)
        for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    outcomes = sorted(a.headers["x-antrean-audio"] for a in answers)
    assert outcomes.count("rendered") == 1 and outcomes.count("rendered") + outcomes.count(
        "joined") + outcomes.count("hit") == 20
    assert len({a.content for a in answers}) == 1


@pytest.mark.parametrize("text", ["Selamat pagi semua", "Nomor antrean A satu; rm -rf /",
                                  "x" * 700])
async def test_only_announcements_are_spoken(voiced: Hall, text: str) -> None:
    answer = await voiced.client.get("/api/v1/sites/TEST/audio", params={
        "language": "id", "text": text}, headers=DISPLAY)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] in ("not_spoken", "invalid_request")
    anonymous = await voiced.client.get("/api/v1/sites/TEST/audio", params={
        "language": "id", "text": "Nomor antrean A satu"})
    assert anonymous.status_code == 401


async def test_the_planner_answers_as_the_announcement_queue(voiced: Hall) -> None:
    calls = [Call(5, "A-005", 1, "DUKCAPIL", -4.0), Call(9, "P-002", 3, "SAMSAT", -3.0),
             Call(6, "A-006", 2, "DUKCAPIL", -2.0), Call(5, "A-005", 1, "DUKCAPIL", -1.0, True)]
    body = {"languages": ["id"], "within": 30, "calls": [
        {"ticket_id": c.ticket_id, "number": c.number, "counter_number": c.counter_number,
         "agency": c.agency, "age_seconds": -c.at, "recall": c.recall} for c in calls]}
    answer = await voiced.client.post("/api/v1/sites/TEST/announcements/next", json=body,
                                      headers=DISPLAY)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    queue = AnnouncementQueue(wording=Wording("words", {"SAMSAT": "Samsat", "DUKCAPIL": "Dukcapil"}),
                              estimate=spoken_seconds, chime_seconds=1.4)
    for call in calls:
        queue.add(call)
    expected = queue.next(0.0)
    assert expected is not None
    utterance = plan["utterance"]
    assert utterance["kind"] == expected.kind == "folded"
    assert [(s["language"], s["text"]) for s in utterance["sentences"]] == list(expected.sentences)
    assert utterance["said"] == [5, 6] and utterance["chime"] == "/api/v1/audio/chime.wav"
    assert [(w["ticket_id"], w["age_seconds"]) for w in plan["waiting"]] == [(9, 3.0)]
    audio = await voiced.client.get(utterance["sentences"][0]["audio"], headers=DISPLAY)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    chime = await voiced.client.get(utterance["chime"])
    assert chime.status_code == 200 and 1.0 < _seconds(chime.content) < 2.0

    empty = await voiced.client.post("/api/v1/sites/TEST/announcements/next", json={
        "calls": []}, headers=KIOSK)
    assert empty.json() == {"utterance": None, "waiting": []}
