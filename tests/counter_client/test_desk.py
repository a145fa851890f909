"""The counter desk without a server: keys become commands, answers and events become state."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from counter_samples import (
    COUNTER_REF,
    NOW,
    OTHER_COUNTER,
    SERVICES,
    body,
    counter,
    ref,
    snapshot,
    ticket,
)

from common.protocol import events as ev
from counter_client import desk
from counter_client.desk import (
    Answered,
    Catalog,
    Connection,
    Desk,
    LoggedIn,
    Picker,
    Press,
    Prompt,
    Pushed,
    Rated,
    Refresh,
    Refused,
    Send,
    SessionExpired,
    Synced,
    Typed,
    led_text,
    normalize_number,
    step,
)


def ready_desk(current: object = None, state: str = "open") -> Desk:
    d = Desk(session="active", officer="Siti Aminah", username="siti")
    d, _ = step(d, Catalog(counter(state), SERVICES))
    d, _ = step(d, Synced(snapshot(current, state=state)))  # type: ignore[arg-type]
    d, _ = step(d, Connection(True))
    return d


def run(d: Desk, *events: desk.Event) -> tuple[Desk, list[desk.Effect]]:
    effects: list[desk.Effect] = []
    for event in events:
        d, more = step(d, event)
        effects.extend(more)
    return d, effects


def sent(effects: list[desk.Effect]) -> list[desk.Command]:
    return [e.command for e in effects if isinstance(e, Send)]


def test_catalog_and_snapshot_fill_the_desk() -> None:
    d = ready_desk(ticket(status="serving", started=True))
    assert d.counter_id == 11 and d.counter_name == "Loket 1"
    assert d.services == ("KTP", "AKTA", "KK")  # by weight, then code
    assert d.current is not None and d.current.number == "A-013" and d.current.status == "serving"
    assert d.waiting_here() == 7  # KTP 5 + KK 2 + AKTA 0; PKB is another agency's
    assert d.ready and led_text(d) == "A-013"


def test_call_next_sends_one_command_and_disables_the_buttons_until_answered() -> None:
    d = ready_desk()
    d, effects = run(d, Press("call_next"))
    [command] = sent(effects)
    assert command.path == "/api/v1/counters/11/call-next" and command.body is None
    assert d.pending == command and not d.enabled("call_next")
    d, again = run(d, Press("call_next"))  # pressed twice: nothing more is sent
    assert sent(again) == [] and d.error is not None and "masih dikirim" in d.error[0]
    d, _ = run(d, Answered(command.key, body(ticket())))
    assert d.pending is None and d.current is not None and d.current.number == "A-013"
    assert d.enabled("recall") and d.enabled("start") and led_text(d) == "A-013"


def test_call_next_with_nobody_waiting_says_so() -> None:
    d = ready_desk()
    d, effects = run(d, Press("call_next"))
    d, _ = run(d, Answered(sent(effects)[0].key, None))
    assert d.current is None and d.notice is not None and "Tidak ada yang menunggu" in d.notice[0]


def test_call_next_while_holding_a_ticket_counts_it_served_and_rateable() -> None:
    d = ready_desk(ticket(id=101, number="A-013", status="serving", started=True))
    d, effects = run(d, Press("call_next"))
    d, _ = run(d, Answered(sent(effects)[0].key, body(ticket(id=102, number="A-014"))))
    assert d.served == {101} and d.last_finished == (101, "A-013")
    d, effects = run(d, Rated(4))
    [rating] = sent(effects)
    assert rating.path == "/api/v1/tickets/101/rating" and rating.body == {"rating": 4}


@pytest.mark.parametrize(("action", "verb"), [("recall", "recall"), ("start", "start"),
                                              ("finish", "finish"), ("no_show", "no-show")])
def test_ticket_keys_address_the_current_ticket(action: str, verb: str) -> None:
    d = ready_desk(ticket(id=101))
    d, effects = run(d, Press(action))
    assert [c.path for c in sent(effects)] == [f"/api/v1/tickets/101/{verb}"]


def test_ticket_keys_without_a_ticket_explain_what_to_do() -> None:
    d = ready_desk()
    for action in ("recall", "start", "finish", "no_show", "transfer"):
        after, effects = run(d, Press(action))
        assert sent(effects) == [] and after.error is not None
        assert "F1" in after.error[0] and "F1" in after.error[1]


def test_start_twice_is_refused_on_the_desk() -> None:
    d = ready_desk(ticket(status="serving", started=True))
    d, effects = run(d, Press("start"))
    assert sent(effects) == [] and d.error == ("A-013 sudah dilayani.",
                                               "A-013 is already being served.")


def test_finish_then_no_show_then_return() -> None:
    d = ready_desk(ticket(id=101))
    d, effects = run(d, Press("finish"))
    d, _ = run(d, Answered(sent(effects)[0].key, body(ticket(id=101, status="finished"))))
    assert d.current is None and d.served == {101} and led_text(d) == ""
    d, effects = run(d, Press("call_next"))
    d, _ = run(d, Answered(sent(effects)[0].key, body(ticket(id=102, number="A-014"))))
    d, effects = run(d, Press("no_show"))
    d, _ = run(d, Answered(sent(effects)[0].key, body(ticket(id=102, status="no_show"))))
    assert d.no_shows == ((102, "A-014"),) and d.enabled("return")
    d, effects = run(d, Press("return"))
    [back] = sent(effects)
    assert back.path == "/api/v1/tickets/102/return"
    d, _ = run(d, Answered(back.key, body(ticket(id=102, status="waiting"))))
    assert d.no_shows == () and d.notice is not None and "A-014" in d.notice[0]


def test_return_with_several_no_shows_asks_which() -> None:
    d = replace(ready_desk(), no_shows=((105, "A-017"), (102, "A-014")))
    d, effects = run(d, Press("return"))
    assert sent(effects) == [] and isinstance(d.modal, Picker) and d.modal.kind == "return"
    d, effects = run(d, Press("down"), Press("enter"))
    assert [c.path for c in sent(effects)] == ["/api/v1/tickets/102/return"]


def test_transfer_picks_a_service_other_than_the_tickets_own_agency_first() -> None:
    d = ready_desk(ticket(id=101, service="KTP"))
    d, _ = run(d, Press("transfer"))
    assert isinstance(d.modal, Picker)
    values = [value for value, _, _ in d.modal.choices]
    assert "KTP" not in values and values[-1] == "PKB" and set(values[:2]) == {"KK", "AKTA"}
    kk = values.index("KK")
    d, effects = run(d, Press(f"pick:{kk}"))
    [command] = sent(effects)
    assert command.path == "/api/v1/tickets/101/transfer"
    assert command.body == {"service": "KK", "reason": None}
    d, _ = run(d, Answered(command.key, body(ticket(id=101, status="waiting", service="KK"))))
    assert d.current is None and d.notice == ("A-013 dipindah ke Kartu Keluarga.",
                                              "A-013 moved to Family card.")


def test_escape_leaves_a_picker_without_sending() -> None:
    d = ready_desk(ticket())
    d, effects = run(d, Press("transfer"), Press("escape"))
    assert d.modal is None and sent(effects) == [] and d.pending is None


def test_pause_asks_for_a_reason_and_resume_needs_none() -> None:
    d = ready_desk()
    d, _ = run(d, Press("pause"))
    assert isinstance(d.modal, Picker) and d.modal.kind == "pause"
    d, effects = run(d, Press("down"), Press("enter"))  # Friday prayer
    [command] = sent(effects)
    assert command.path == "/api/v1/counters/11/pause" and command.body == {"reason": "Salat Jumat"}
    d, _ = run(d, Answered(command.key, body(counter("paused", "Salat Jumat"))))
    assert d.state == "paused" and d.pause_reason == "Salat Jumat"
    assert not d.enabled("call_next")
    d, effects = run(d, Press("pause"))
    assert [c.path for c in sent(effects)] == ["/api/v1/counters/11/resume"]


def test_pause_with_a_reason_of_ones_own() -> None:
    d = ready_desk()
    d, _ = run(d, Press("pause"))
    assert isinstance(d.modal, Picker)
    d, _ = run(d, Press(f"pick:{len(d.modal.choices) - 1}"))
    assert isinstance(d.modal, Prompt) and d.modal.kind == "pause"
    d, effects = run(d, Typed("Pemadaman listrik"), Press("enter"))
    assert sent(effects)[0].body == {"reason": "Pemadaman listrik"}


def test_a_closed_counter_opens_with_the_state_key_and_cannot_call() -> None:
    d = ready_desk(state="closed")
    d, effects = run(d, Press("call_next"))
    assert sent(effects) == [] and d.error is not None and "F7" in d.error[0]
    d, effects = run(d, Press("pause"))
    assert [c.path for c in sent(effects)] == ["/api/v1/counters/11/open"]


def test_the_keypad_pauses_without_asking() -> None:
    d = ready_desk()
    d, effects = run(d, Press("pause", from_keypad=True))
    assert sent(effects)[0].body == {"reason": desk.KEYPAD_PAUSE_REASON} and d.modal is None


def test_call_a_specific_ticket_by_number_with_a_reason() -> None:
    d = ready_desk()
    d, _ = run(d, Pushed(ev.TicketIssued(site="TEST", at=NOW, seq=41,
                                         ticket=ref(id=120, number="B-004", status="waiting",
                                                    service="KK"))))
    d, _ = run(d, Press("call"), Typed("b4"), Press("enter"))
    assert isinstance(d.modal, Prompt) and d.modal.kind == "call_reason" and d.modal.ticket_id == 120
    d, effects = run(d, Typed("ok"), Press("enter"))  # too short a reason
    assert sent(effects) == [] and d.error is not None and "audit" in d.error[1]
    d, effects = run(d, Typed(" lansia sakit"), Press("enter"))
    [command] = sent(effects)
    assert command.path == "/api/v1/counters/11/call"
    assert command.body == {"ticket_id": 120, "reason": "ok lansia sakit"}


def test_a_number_this_app_has_not_seen_is_sent_as_printed() -> None:
    d = ready_desk()  # e.g. restarted after the ticket was issued
    d, effects = run(d, Press("call"), Typed("a99"), Press("enter"))
    assert sent(effects) == [] and d.error is None
    assert isinstance(d.modal, Prompt) and d.modal.kind == "call_reason"
    assert d.modal.number == "A-099" and d.modal.ticket_id is None
    d, effects = run(d, Typed("membawa tiket kertas"), Press("enter"))
    [command] = sent(effects)
    assert command.path == "/api/v1/counters/11/call"
    assert command.body == {"number": "A-099", "reason": "membawa tiket kertas"}


def test_a_mistyped_number_is_refused_before_anything_is_sent() -> None:
    d = ready_desk()
    d, effects = run(d, Press("call"), Typed("99"), Press("enter"))
    assert sent(effects) == [] and d.error is not None and "A-013" in d.error[0]


def test_a_called_ticket_is_no_longer_callable_by_number() -> None:
    d = ready_desk()
    issued = ev.TicketIssued(site="TEST", at=NOW, ticket=ref(120, "A-020", "waiting"))
    called = ev.TicketCalled(site="TEST", at=NOW, ticket=ref(120, "A-020"), counter=OTHER_COUNTER,
                             announce="", announce_en="")
    d, _ = run(d, Pushed(issued))
    assert dict(d.known) == {"A-020": 120}
    d, _ = run(d, Pushed(called))
    assert d.known == () and d.current is None  # called elsewhere: not ours


@pytest.mark.parametrize(("typed", "number"), [("a13", "A-013"), ("A-013", "A-013"),
                                               (" b 4 ", "B-004"), ("13", None), ("A-", None)])
def test_numbers_are_read_as_the_officer_types_them(typed: str, number: str | None) -> None:
    assert normalize_number(typed) == number


def test_refusal_shows_the_servers_words_and_asks_for_the_truth() -> None:
    d = ready_desk()
    d, effects = run(d, Press("call"))
    d = replace(d, modal=None, known=(("A-013", 101),))
    d, effects = run(d, Press("call"), Typed("A-013"), Press("enter"), Typed("dipanggil lagi"),
                     Press("enter"))
    [command] = sent(effects)
    d, effects = run(d, Refused(command.key, "already_called", "Loket 4 sudah memanggil A-013.",
                                "Loket 4 already called A-013."))
    assert d.pending is None and d.error == ("Loket 4 sudah memanggil A-013.",
                                             "Loket 4 already called A-013.")
    assert effects == [Refresh()]


def test_offline_disables_everything_but_keeps_the_ticket_and_the_pending_command() -> None:
    d = ready_desk(ticket())
    d, effects = run(d, Press("finish"))
    [command] = sent(effects)
    d, _ = run(d, Connection(False, "connection refused"))
    assert not d.online and d.current is not None and d.pending == command
    assert not any(d.enabled(a) for a in ("call_next", "recall", "finish", "pause"))
    d, effects = run(d, Press("call_next"))
    assert sent(effects) == [] and d.error is not None and "Menyambung" in d.error[0]
    d, _ = run(d, Connection(True), Answered(command.key, body(ticket(status="finished"))))
    assert d.online and d.current is None and d.pending is None


def test_session_expiry_keeps_the_counter_and_resends_the_same_command_after_login() -> None:
    d = ready_desk(ticket())
    d, effects = run(d, Press("start"))
    [command] = sent(effects)
    d, _ = run(d, SessionExpired())
    assert d.session == "expired" and d.login is not None and d.login.username == "siti"
    assert d.login.field == "password" and d.current is not None and d.pending == command
    d, effects = run(d, Typed("rahasia"), Press("enter"))
    assert effects == [desk.Login("siti", "rahasia")] and d.login is not None and d.login.busy
    d, effects = run(d, LoggedIn("Siti Aminah", "siti"))
    assert d.session == "active" and d.login is None
    assert Refresh() in effects and sent(list(effects)) == [command]  # same key: never twice


def test_a_rating_pressed_while_finishing_lands_on_the_finished_ticket() -> None:
    d = ready_desk(ticket(id=101, status="serving", started=True))
    d = replace(d, last_finished=(90, "A-010"), rated=frozenset({90}))
    d, effects = run(d, Press("finish"))
    [finish] = sent(effects)
    d, effects = run(d, Rated(3))
    assert sent(effects) == [] and d.held_rating == 3
    d, effects = run(d, Answered(finish.key, body(ticket(id=101, status="finished"))))
    [rating] = sent(effects)
    assert rating.path == "/api/v1/tickets/101/rating" and rating.body == {"rating": 3}
    d, effects = run(d, Rated(4))  # one rating per ticket
    assert sent(effects) == []
    d, _ = run(d, Answered(rating.key, body(ticket(id=101, status="finished"))))
    assert d.notice == ("Terima kasih: nilai 3 untuk A-013.", "Thank you: rating 3 for A-013.")


def test_events_at_this_counter_move_the_current_ticket() -> None:
    d = ready_desk()
    called = ev.TicketCalled(site="TEST", at=NOW, seq=41, ticket=ref(101), counter=COUNTER_REF,
                             announce="", announce_en="")
    d, effects = run(d, Pushed(called))
    assert d.current is not None and d.current.number == "A-013" and effects == [Refresh()]
    assert d.seq == 41
    serving = ev.TicketServing(site="TEST", at=NOW + timedelta(minutes=1), seq=42,
                               ticket=ref(101, status="serving"), counter=COUNTER_REF)
    d, _ = run(d, Pushed(serving))
    assert d.current is not None and d.current.status == "serving"
    assert d.current.started_at == NOW + timedelta(minutes=1)
    finished = ev.TicketFinished(site="TEST", at=NOW, seq=43, ticket=ref(101, status="finished"),
                                 counter=COUNTER_REF)
    d, _ = run(d, Pushed(finished), Pushed(finished))  # a replay counts once
    assert d.current is None and d.served == {101} and d.last_finished == (101, "A-013")


def test_queue_summaries_update_only_what_they_mention() -> None:
    d = ready_desk()
    summary = ev.QueueSummary(site="TEST", at=NOW, queues=[
        desk_queue("KK", 9)])
    d, _ = run(d, Pushed(summary))
    assert d.queue("KK").waiting == 9 and d.queue("KTP").waiting == 5


def desk_queue(service: str, waiting: int):  # type: ignore[no-untyped-def]
    from common.protocol.models import ServiceQueue
    return ServiceQueue(service=service, agency="DUKCAPIL", waiting=waiting, waiting_priority=0,
                        estimated_wait_minutes=1)


def test_counter_state_events_for_another_counter_are_ignored() -> None:
    d = ready_desk()
    other = ev.CounterStateChanged(site="TEST", at=NOW, counter=OTHER_COUNTER, state="paused",
                                   pause_reason="Istirahat", officer=None)
    mine = other.model_copy(update={"counter": COUNTER_REF})
    d, _ = run(d, Pushed(other))
    assert d.state == "open"
    d, _ = run(d, Pushed(mine))
    assert d.state == "paused" and d.pause_reason == "Istirahat"


def test_a_new_service_day_starts_the_count_afresh() -> None:
    d = replace(ready_desk(), served=frozenset({1, 2, 3}), last_finished=(3, "A-003"))
    from datetime import date
    d, _ = run(d, Synced(snapshot(day=date(2025, 3, 4))))
    assert d.served == frozenset() and d.last_finished is None


def test_login_form_fields() -> None:
    d = Desk(login=desk.LoginForm())
    d, effects = run(d, Typed("siti"), Press("enter"), Typed("rahasia-siti"), Press("backspace"),
                     Press("enter"))
    assert effects == [desk.Login("siti", "rahasia-sit")]


def test_language_switches_anywhere() -> None:
    d, _ = run(ready_desk(), Press("transfer"), Press("language"))
    assert d.language == "en"


def test_the_call_event_arriving_before_the_answer_is_not_counted_served() -> None:
    d = ready_desk(ticket(id=101, number="A-013"))
    d, effects = run(d, Press("call_next"))
    [command] = sent(effects)
    called = ev.TicketCalled(site="TEST", at=NOW, ticket=ref(102, "A-014"), counter=COUNTER_REF,
                             announce="", announce_en="")
    d, _ = run(d, Pushed(called), Answered(command.key, body(ticket(id=102, number="A-014"))))
    assert d.served == {101} and d.last_finished == (101, "A-013")
    assert d.current is not None and d.current.id == 102


def test_keys_a_keypad_cannot_express_stay_on_the_screen() -> None:
    d = ready_desk(ticket())
    for action in ("transfer", "call", "close"):
        after, effects = run(d, Press(action, from_keypad=True))
        assert sent(effects) == [] and after.modal is None and after.error is not None


def test_a_keypad_returns_the_latest_no_show_without_asking() -> None:
    d = replace(ready_desk(), no_shows=((105, "A-017"), (102, "A-014")))
    d, effects = run(d, Press("return", from_keypad=True))
    assert [c.path for c in sent(effects)] == ["/api/v1/tickets/105/return"] and d.modal is None


def test_a_refused_device_token_is_an_error_not_a_login_form() -> None:
    d = replace(ready_desk(), session="device")
    d, _ = run(d, SessionExpired())
    assert d.login is None and d.session == "device" and d.error is not None
    assert "token" in d.error[1]


def test_served_today_starts_from_the_servers_count_and_adds_what_finishes_here() -> None:
    d = ready_desk(ticket())
    base = snapshot(ticket())
    mine = base.counters[0]
    restarted = base.model_copy(update={"counters": [mine.model_copy(update={
        "counter": mine.counter.model_copy(update={"served_today": 9})})]})
    d, _ = step(d, Synced(restarted))
    assert d.served_today == 9  # a client started mid-day knows the morning's work
    d, _ = run(d, Pushed(ev.TicketFinished(site="TEST", seq=41, at=NOW, ticket=ref(status="finished"),
                                           counter=COUNTER_REF)))
    assert d.served_today == 10
    d, _ = run(d, Pushed(ev.TicketFinished(site="TEST", seq=41, at=NOW, ticket=ref(status="finished"),
                                           counter=COUNTER_REF)))
    assert d.served_today == 10  # the same finish twice counts once


def test_a_snapshot_older_than_the_events_seen_does_not_roll_the_queues_back() -> None:
    d = ready_desk()  # the snapshot at seq 40: KK 2 waiting
    summary = ev.QueueSummary(site="TEST", at=NOW, seq=42, queues=[ev.ServiceQueue(
        service="KK", agency="DUKCAPIL", waiting=3, waiting_priority=0, estimated_wait_minutes=9)])
    d, _ = run(d, Pushed(summary))
    assert d.queue("KK").waiting == 3 and d.seq == 42
    d, _ = run(d, Synced(snapshot(seq=41, waiting={"KK": 1})))  # an HTTP answer overtaken
    assert d.queue("KK").waiting == 3 and d.seq == 42
    d, _ = run(d, Synced(snapshot(seq=43, waiting={"KK": 0})))  # a newer one is taken
    assert d.queue("KK").waiting == 0 and d.seq == 43


def test_an_officer_checks_in_a_citizen_booked_online() -> None:
    d = ready_desk()
    d, effects = run(d, Press("check_in"), Typed("http://hall/online/k7q2mx9pla"),
                     Press("enter"))
    [command] = sent(effects)
    assert command.action == "check_in"
    assert command.body == {"code": "http://hall/online/k7q2mx9pla"}
    assert command.path == f"/api/v1/sites/{d.site}/check-in" and d.site
    answer = body(ticket(121, "A-021", status="waiting")) | {"channel": "appointment"}
    d, _ = run(d, Answered(command.key, answer))
    assert d.notice is not None and "A-021 sudah check-in" in d.notice[0]
    assert d.current is None  # checking in calls nobody: the ticket waits its turn
    d, effects = run(d, Press("check_in"), Typed("ZZZZ"), Press("enter"))
    [again] = sent(effects)
    d, effects = run(d, Refused(again.key, "unknown_booking", "Kode pendaftaran tidak ditemukan.",
                                "No booking has that code."))
    assert d.error == ("Kode pendaftaran tidak ditemukan.", "No booking has that code.")


def test_a_visit_at_the_counter_says_its_stop_and_where_it_goes_next() -> None:
    from datetime import UTC, date, datetime

    from common.protocol.models import TicketOut, VisitOut, VisitStopOut

    def stop(position: int, service: str, name: str, status: str) -> VisitStopOut:
        return VisitStopOut(position=position, service=service, service_name=name,
                            service_name_en=None, agency="X", agency_name="X",
                            agency_name_en=None, requirements=[], requirements_en=[],
                            status=status, joined_at=None, called_at=None,  # type: ignore[arg-type]
                            finished_at=None)

    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    ticket = TicketOut(
        id=5, number="A-001", tracking_code="T", tracking_url="", site="TEST", service="BPJS",
        service_name="Kartu BPJS", service_name_en=None, agency="BPJS", agency_name="BPJS",
        status="called", priority=False, priority_reason=None, channel="kiosk",
        service_day=date(2026, 3, 2), issued_at=at, reserve_expires_at=None, people_ahead=None,
        estimated_wait_minutes=None, counter_id=5, counter_number=5, counter_name="Loket 5",
        call_count=1, called_at=at, started_at=None, finished_at=None,
        visit=VisitOut(status="active", held_until=None, current=2, next_service="NPWP", stops=[
            stop(1, "KTP", "KTP", "done"), stop(2, "BPJS", "Kartu BPJS", "at_counter"),
            stop(3, "NPWP", "NPWP", "pending")]))
    current = desk.Current.of(ticket)
    assert current.visit_step == (2, 3) and current.goes_next == ("NPWP", "NPWP")
    last = ticket.model_copy(update={"visit": ticket.visit.model_copy(  # type: ignore[union-attr]
        update={"current": 3, "next_service": None})})
    assert desk.Current.of(last).goes_next is None
    assert desk.Current.of(ticket.model_copy(update={"visit": None})).visit_step is None
