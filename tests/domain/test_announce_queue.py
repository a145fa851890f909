"""The announcement queue against a clock: bounded, folded, superseded calls not said, English
only when the queue is short, nothing dropped silently."""

from __future__ import annotations

from announce_samples import opening_calls
from hypothesis import given, settings
from hypothesis import strategies as st

from common.announce import call_text
from common.announce_queue import AnnouncementQueue, Call, Utterance


def _seconds(queue: AnnouncementQueue, utterance: Utterance) -> float:
    return (queue.chime_seconds if utterance.chime else 0.0) + sum(
        queue.estimate(language, text) for language, text in utterance.sentences)


def _play_all(queue: AnnouncementQueue, start: float = 0.0,
              arrivals: list[Call] | None = None) -> list[tuple[float, float, Utterance]]:
    """Play the queue on a clock that moves by each utterance's length; ``arrivals`` join the
    queue at their ``at``. Returns (start, the end of its Indonesian sentence, utterance)."""
    later = sorted(arrivals or [], key=lambda c: c.at)
    now, heard = start, []
    while True:
        while later and later[0].at <= now:
            queue.add(later.pop(0))
        utterance = queue.next(now)
        if utterance is None:
            if not later:
                return heard
            now = later[0].at
            continue
        # the calls are heard of once the first sentence (Indonesian) has been said
        first = now + (queue.chime_seconds if utterance.chime else 0.0) + queue.estimate(
            *utterance.sentences[0])
        heard.append((now, first, utterance))
        now += _seconds(queue, utterance)


def test_43_simultaneous_calls_are_all_said_or_summed_up_within_30_seconds() -> None:
    queue = AnnouncementQueue(languages=("id", "en"), within=30.0)
    calls = opening_calls()
    assert len(calls) == 43
    for call in calls:
        queue.add(call)
    heard = _play_all(queue)
    said = [c for _, _, u in heard for c in u.calls]
    summed = [c for _, _, u in heard for c in u.skipped]
    # none dropped silently: each call said by name, or counted in a notice the hall hears
    assert sorted(c.ticket_id for c in said + summed) == list(range(1, 44))
    for _, end, utterance in heard:
        for call in utterance.calls + utterance.skipped:
            assert end - call.at <= 30.0
    counts = queue.counts
    assert counts.said == len(said) and counts.skipped == len(summed) == 43 - len(said)
    assert counts.latest_seconds <= 30.0 and heard[-1][1] <= 30.0
    assert counts.notices == 1 and "lihat layar" in heard[0][2].sentences[0][1]
    assert counts.folded >= 2 and counts.english_skipped == counts.said  # none alone
    print(f"\n43 simultaneous calls: {counts.said} said by name ({counts.folded} folded), "
          f"{counts.skipped} summed up in {counts.notices} notice, English skipped for "
          f"{counts.english_skipped}, last heard after {heard[-1][1]:.1f} s")


def test_given_time_all_43_are_said_by_name() -> None:
    queue = AnnouncementQueue(within=240.0)
    for call in opening_calls():
        queue.add(call)
    heard = _play_all(queue)
    assert queue.counts.said == 43 and queue.counts.skipped == 0
    assert heard[-1][1] < 240.0 and queue.counts.folded > 30
    # the old one-by-one queue: a chime and a whole sentence each
    one_by_one = sum(queue.chime_seconds + queue.estimate("id", call_text(c.number, c.counter_number)[0])
                     for c in opening_calls())
    assert heard[-1][1] < one_by_one * 0.8


def test_calls_of_one_agency_fold_into_one_sentence() -> None:
    queue = AnnouncementQueue()
    queue.add(Call(1, "A-001", 1, "DUKCAPIL", 0.0))
    queue.add(Call(2, "K-001", 9, "POLRES", 0.0))
    queue.add(Call(3, "A-002", 2, "DUKCAPIL", 0.0))
    first = queue.next(0.0)
    assert first is not None and first.kind == "folded"
    assert first.sentences == (("id", "Nomor antrean A nol nol satu ke loket satu, dan A nol nol "
                                      "dua ke loket dua"),)
    second = queue.next(10.0)
    assert second is not None and second.kind == "call" and [c.number for c in second.calls] == ["K-001"]
    assert queue.counts.folded == 2 and queue.counts.said == 3


def test_a_recall_of_a_call_still_waiting_is_said_once() -> None:
    queue = AnnouncementQueue()
    queue.add(Call(1, "A-001", 1, "DUKCAPIL", 0.0))
    queue.add(Call(2, "K-001", 9, "POLRES", 0.5))
    queue.add(Call(1, "A-001", 1, "DUKCAPIL", 1.0, recall=True))
    heard = _play_all(queue, start=1.0)
    said = [c.number for _, _, u in heard for c in u.calls]
    assert said == ["A-001", "K-001"]  # once, and in the call's place
    assert queue.counts.superseded == 1
    # the recall was not alone in the queue: said once, not twice
    assert heard[0][2].sentences == (("id", "Nomor antrean A nol nol satu, silakan menuju loket "
                                             "satu"),)
    assert queue.counts.repeats_skipped == 1


def test_a_counters_next_call_replaces_the_one_it_made_before() -> None:
    queue = AnnouncementQueue()
    queue.add(Call(1, "A-001", 1, "DUKCAPIL", 0.0))
    queue.add(Call(2, "A-002", 1, "DUKCAPIL", 0.2))  # the counter moved on (no-show, say)
    heard = _play_all(queue)
    assert [c.number for _, _, u in heard for c in u.calls] == ["A-002"]
    assert queue.counts.superseded == 1


def test_english_and_a_recalls_repetition_only_when_the_queue_is_short() -> None:
    queue = AnnouncementQueue(languages=("id", "en"))
    queue.add(Call(1, "A-001", 1, "DUKCAPIL", 0.0, recall=True))
    alone = queue.next(0.0)
    assert alone is not None
    assert [language for language, _ in alone.sentences] == ["id", "en", "id", "en"]
    queue.add(Call(2, "A-002", 2, "DUKCAPIL", 20.0))
    queue.add(Call(3, "K-001", 9, "POLRES", 20.0))
    busy = queue.next(20.0)
    assert busy is not None and [language for language, _ in busy.sentences] == ["id"]
    assert queue.counts.english_said == 1 and queue.counts.english_skipped == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 120), st.integers(1, 43), st.sampled_from("ABCDE"),
                          st.booleans()), min_size=1, max_size=80))
def test_every_call_is_heard_of_within_the_bound(arrivals: list[tuple[float, int, str, bool]]) -> None:
    queue = AnnouncementQueue(languages=("id", "en"), within=30.0)
    calls = [Call(i, f"{agency}-{i:03d}", counter, agency, at, recall)
             for i, (at, counter, agency, recall) in enumerate(arrivals)]
    heard = _play_all(queue, arrivals=calls)
    counts = queue.counts
    accounted = counts.said + counts.skipped + counts.superseded
    assert accounted == len(calls) == counts.calls  # nothing lost without a count
    for _, end, utterance in heard:
        for call in utterance.calls + utterance.skipped:
            assert end - call.at <= 30.0 + 1e-9, [(u.kind, start, end) for start, end, u in heard]
