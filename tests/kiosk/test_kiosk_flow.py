"""The kiosk's flow, without a screen, a server or a printer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from common.protocol.models import AgencyOut, ServiceOut, TicketOut
from kiosk import flow
from kiosk.flow import KioskState, Touch, step

AGENCY = AgencyOut(code="DUKCAPIL", name="Dukcapil", name_en=None, color="#123456", icon="id")


def service(code: str, closed_reason: str | None = None) -> ServiceOut:
    return ServiceOut(code=code, prefix="A", agency=AGENCY, name=code, name_en=None,
                      requirements=[], requirements_en=[], fee=0, fee_note="", sla_minutes=30,
                      open_now=closed_reason is None, next_opening=None,
                      closed_reason=closed_reason, waiting=0, estimated_wait_minutes=0,
                      daily_quota=None, quota_left=None)


def ticket(number: str = "A-001") -> TicketOut:
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    return TicketOut(id=7, number=number, tracking_code="ABCDEFGH23", tracking_url="http://x/t/A",
                     site="S", service="KTP", service_name="KTP-el", service_name_en=None,
                     agency="DUKCAPIL", agency_name="Dukcapil", status="reserved", priority=False,
                     priority_reason=None, channel="kiosk", service_day=date(2026, 11, 25),
                     issued_at=now, reserve_expires_at=None, people_ahead=2,
                     estimated_wait_minutes=10, counter_id=None, counter_number=None,
                     counter_name=None, call_count=0, called_at=None, started_at=None,
                     finished_at=None)


def walk(state: KioskState, *actions: str, at: float = 1.0) -> tuple[KioskState, list[flow.Effect]]:
    effects: list[flow.Effect] = []
    for action in actions:
        state, new = step(state, Touch(action, at))
        effects.extend(new)
    return state, effects


READY = KioskState(services=(service("KTP"), service("AKTA", "quota_reached")))


def test_three_touches_to_a_ticket_request() -> None:
    state, effects = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    assert state.screen == "issuing"
    assert len(effects) == 1 and isinstance(effects[0], flow.IssueTicket)
    assert effects[0].service == "KTP" and effects[0].priority_reason is None


def test_priority_choice_reaches_the_request() -> None:
    _, effects = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "priority:pregnant")
    assert isinstance(effects[0], flow.IssueTicket)
    assert effects[0].priority_reason == "pregnant"
    _, none = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "priority:vip")
    assert none == []  # no such group: nothing is asked of the server


def test_a_full_service_cannot_be_chosen() -> None:
    state, effects = walk(READY, "start", "agency:DUKCAPIL", "service:AKTA")
    assert state.screen == "services" and effects == []


def test_printed_ticket_is_confirmed_then_the_kiosk_starts_over() -> None:
    state, _ = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    state, effects = step(state, flow.Issued(ticket(), at=2.0))
    assert state.screen == "ticket" and effects == (flow.PrintTicket(ticket()),)
    state, effects = step(state, flow.PrintFinished(True, "", at=3.0))
    assert effects == (flow.ConfirmTicket(7),) and state.confirmed
    state, _ = step(state, flow.Tick(3.0 + flow.TICKET_SECONDS - 0.1))
    assert state.screen == "ticket"
    state, _ = step(state, flow.Tick(3.0 + flow.TICKET_SECONDS))
    assert state.screen == "attract" and state.ticket is None and state.services


def test_failed_print_keeps_the_number_until_the_citizen_decides() -> None:
    state, _ = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    state, _ = step(state, flow.Issued(ticket(), at=2.0))
    state, effects = step(state, flow.PrintFinished(False, "paper out", at=3.0))
    assert state.print_state == "failed" and effects == () and not state.printer_ready
    state, _ = step(state, flow.Tick(3.0 + flow.IDLE_SECONDS))
    assert state.screen == "ticket"  # the number stays on screen
    state, effects = walk(state, "reprint", at=40)
    assert effects == []  # the printer is not back yet
    state, _ = step(state, flow.PrinterChanged(True, ""))
    state, effects = walk(state, "reprint", at=41)
    assert effects == [flow.PrintTicket(ticket())] and state.print_state == "printing"


def test_keeping_the_number_on_screen_confirms_it() -> None:
    state, _ = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    state, _ = step(state, flow.Issued(ticket(), at=2.0))
    state, _ = step(state, flow.PrintFinished(False, "cover open", at=3.0))
    state, effects = walk(state, "keep", at=4)
    assert effects == [flow.ConfirmTicket(7)] and state.confirmed


def test_cancel_or_home_withdraws_an_unconfirmed_number() -> None:
    state, _ = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    state, _ = step(state, flow.Issued(ticket(), at=2.0))
    failed, _ = step(state, flow.PrintFinished(False, "offline", at=3.0))
    restarted, effects = walk(failed, "home", at=4)
    assert restarted.screen == "attract" and effects == [flow.CancelTicket(7)]
    # while it is still printing, 'home' does nothing: the number may yet come out
    same, none = walk(state, "home", at=4)
    assert same.screen == "ticket" and none == []


def test_idle_anywhere_returns_to_start() -> None:
    state, _ = walk(READY, "start", "agency:DUKCAPIL", at=10.0)
    state, _ = step(state, flow.Tick(10.0 + flow.IDLE_SECONDS - 1))
    assert state.screen == "services"
    state, _ = step(state, flow.Tick(10.0 + flow.IDLE_SECONDS))
    assert state.screen == "attract"


def test_refusal_is_shown_in_the_citizens_language() -> None:
    state, _ = walk(READY, "language", "start", "agency:DUKCAPIL", "service:KTP", "regular")
    assert state.language == "en"
    state, _ = step(state, flow.IssueRefused("Kuota habis.", "Quota reached."))
    assert state.screen == "services" and state.notice == ("Kuota habis.", "Quota reached.")


def test_server_outage_shows_unavailable_and_recovers() -> None:
    state, _ = step(READY, flow.ServerUnreachable("connection refused"))
    assert state.screen == "unavailable"
    state, _ = step(state, flow.CatalogLoaded(READY.services))
    assert state.screen == "attract" and state.online
    # a citizen holding a number is not thrown out by an outage
    holding, _ = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    holding, _ = step(holding, flow.Issued(ticket(), at=2.0))
    holding, _ = step(holding, flow.ServerUnreachable("timeout"))
    assert holding.screen == "ticket" and not holding.online


def test_a_new_request_after_a_refusal_gets_a_new_key() -> None:
    state, first = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    key = first[0].idempotency_key  # type: ignore[union-attr]
    state, _ = step(state, flow.IssueRefused("Server tidak menjawab.", "No answer."))
    _, second = walk(state, "service:KTP", "regular")
    assert second[0].idempotency_key != key  # a new request after a refusal is a new key


# ---------------------------------------------------------------- "Sudah daftar online?"

def test_a_typed_code_checks_in_and_prints_a_booked_ticket() -> None:
    state, effects = walk(READY, "checkin", "key:K", "key:7", "erase", "key:Q", "key:0",
                          "submit")
    assert effects and isinstance(effects[0], flow.CheckIn)
    assert effects[0].code == "KQ" and state.screen == "checking"  # 0 is no letter of a code
    booked = ticket().model_copy(update={"status": "waiting", "channel": "appointment"})
    state, effects = step(state, flow.CheckedIn(booked, 2.0))
    assert state.screen == "ticket" and state.checked_in and state.confirmed
    assert effects == (flow.PrintTicket(booked),)
    state, effects = step(state, flow.PrintFinished(True, "", 3.0))
    assert effects == ()  # in the line already: nothing to confirm
    failed, _ = step(replace(state, print_state="printing"), flow.PrintFinished(False, "", 4.0))
    state, effects = walk(failed, "cancel")
    assert effects == [] and state.screen == "attract"  # a checked-in number is never withdrawn


def test_a_scanned_qr_checks_in_from_any_quiet_screen() -> None:
    for screen in ("attract", "agencies", "services", "checkin"):
        state = KioskState(services=READY.services, screen=screen)  # type: ignore[arg-type]
        state, effects = step(state, flow.CodeScanned("http://hall/online/k7q2mx9pla\r\n", 1.0))
        assert effects and isinstance(effects[0], flow.CheckIn), screen
        assert effects[0].code == "K7Q2MX9PLA" and state.screen == "checking"
    busy = KioskState(services=READY.services, screen="issuing")
    assert step(busy, flow.CodeScanned("K7Q2MX9PLA", 1.0)) == (busy, ())


def test_a_refusal_is_said_on_the_keypad_and_a_retry_has_a_new_key() -> None:
    state, effects = walk(READY, "checkin", "key:K", "submit")
    first_key = effects[0].idempotency_key  # type: ignore[union-attr]
    state, _ = step(state, flow.CheckInRefused(
        "too_early", "Terlalu awal. Silakan check-in lagi pukul 09.30.",
        "Too early. Please check in again at 09:30."))
    assert state.screen == "checkin" and state.notice is not None
    assert "09.30" in state.notice[0] and state.typed_code == ""
    state, effects = walk(state, "key:K", "submit")
    assert effects[0].idempotency_key != first_key  # type: ignore[union-attr]


def test_several_services_on_one_number() -> None:
    ready = KioskState(services=(service("KTP"), service("KK"), service("NPWP")))
    state, effects = walk(ready, "start", "agency:DUKCAPIL", "service:KTP", "another",
                          "agency:DUKCAPIL", "service:KTP",  # already chosen: nothing happens
                          "service:KK", "another", "agency:DUKCAPIL", "service:NPWP")
    assert effects == [] and state.screen == "priority"
    assert [s.code for s in state.planned()] == ["KTP", "KK", "NPWP"]
    state, effects = walk(state, "priority:elderly")
    [issue] = effects
    assert isinstance(issue, flow.IssueTicket)
    assert issue.visit == ("KTP", "KK", "NPWP") and issue.service == "KTP"
    assert issue.priority_reason == "elderly"
    # a refusal (the hall allows fewer) starts the choice again, with no services kept
    state, _ = step(state, flow.IssueRefused("Terlalu banyak layanan.", "Too many services."))
    assert state.basket == () and state.screen == "services"


def test_the_kiosk_offers_at_most_its_number_of_services() -> None:
    codes = [f"S{i}" for i in range(flow.VISIT_MAX_STOPS + 1)]
    state = KioskState(services=tuple(service(code) for code in codes))
    state, _ = walk(state, "start")
    for code in codes[:flow.VISIT_MAX_STOPS - 1]:
        state, _ = walk(state, "agency:DUKCAPIL", f"service:{code}", "another")
    state, _ = walk(state, "agency:DUKCAPIL", f"service:{codes[flow.VISIT_MAX_STOPS - 1]}")
    assert not state.may_add()
    stuck, _ = walk(state, "another")
    assert stuck.screen == "priority"  # no sixth service
    _, effects = walk(state, "regular")
    assert len(effects[0].visit) == flow.VISIT_MAX_STOPS  # type: ignore[union-attr]


def test_one_service_is_an_ordinary_ticket() -> None:
    _, effects = walk(READY, "start", "agency:DUKCAPIL", "service:KTP", "regular")
    assert effects[0].visit == ()  # type: ignore[union-attr]
