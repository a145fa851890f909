"""The ticket's life: every allowed step, and every other step refused."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.tickets import (
    ACTIVE_AT_COUNTER,
    TRANSITIONS,
    IllegalTransition,
    TicketAction,
    TicketStatus,
    allowed_actions,
    next_status,
)

S, A = TicketStatus, TicketAction

# The life of a ticket as the hall works it, written out from the rules rather than read off the
# implementation: (from, action) → to.
LIFE = {
    (S.RESERVED, A.CONFIRM): S.WAITING,  # the kiosk printed it
    (S.RESERVED, A.EXPIRE): S.EXPIRED,  # the kiosk never confirmed
    (S.RESERVED, A.CANCEL): S.CANCELLED,  # the printer jammed, the kiosk gave up
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.TRANSFER): S.WAITING,  # moved to another service's line
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.EXPIRE): S.EXPIRED,  # still waiting when the day ended
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.CALLED, A.FINISH): S.FINISHED,  # a quick case, finished without "start"
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.CALLED, A.TRANSFER): S.WAITING,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.SERVING, A.FINISH): S.FINISHED,
    (S.SERVING, A.TRANSFER): S.WAITING,  # sent on to another agency's service
    (S.CALLED, A.ROUTE): S.WAITING,  # a visit's stop done: on to its next stop's line
    (S.SERVING, A.ROUTE): S.WAITING,
    (S.NO_SHOW, A.RETURN): S.WAITING,  # the citizen came back after all
    (S.REMOTE, A.CHECK_IN): S.WAITING,  # taken from a phone, checked in at the hall
    (S.REMOTE, A.LAPSE): S.LAPSED,  # not checked in within the grace after its turn
    (S.REMOTE, A.CANCEL): S.CANCELLED,  # the citizen gave it up online
    (S.REMOTE, A.EXPIRE): S.EXPIRED,
}
ALL_PAIRS = list(itertools.product(TicketStatus, TicketAction))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LIFE]


def test_the_table_is_exactly_the_life_of_a_ticket() -> None:
    assert TRANSITIONS == LIFE


@pytest.mark.parametrize(("status", "action"), list(LIFE))
def test_every_allowed_step(status: TicketStatus, action: TicketAction) -> None:
    assert next_status(status, action) is LIFE[(status, action)]
    assert action in allowed_actions(status)


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_other_step_is_refused(status: TicketStatus, action: TicketAction) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_status(status, action)
    assert raised.value.status is status
    assert raised.value.action is action
    assert action not in allowed_actions(status)


def test_the_refusal_says_what_and_why_in_words() -> None:
    with pytest.raises(IllegalTransition, match="cannot call a ticket that is finished"):
        next_status(S.FINISHED, A.CALL)


@pytest.mark.parametrize("status", [S.FINISHED, S.CANCELLED, S.EXPIRED, S.LAPSED])
def test_a_closed_ticket_allows_nothing(status: TicketStatus) -> None:
    assert allowed_actions(status) == frozenset()


def test_a_ticket_can_never_be_called_twice_without_going_back_to_the_line() -> None:
    assert A.CALL not in allowed_actions(S.CALLED)
    assert A.CALL not in allowed_actions(S.SERVING)
    assert A.CALL not in allowed_actions(S.NO_SHOW)
    assert A.CALL not in allowed_actions(S.REMOTE)  # never before check-in


def test_only_a_called_or_served_ticket_occupies_a_counter() -> None:
    assert frozenset({S.CALLED, S.SERVING}) == ACTIVE_AT_COUNTER
    for status in ACTIVE_AT_COUNTER:
        # a ticket at a counter can always be let go of: finished or sent back to a line
        assert {A.FINISH, A.TRANSFER} <= allowed_actions(status)


@given(st.lists(st.sampled_from(list(TicketAction)), max_size=30))
def test_any_sequence_of_actions_either_follows_the_table_or_changes_nothing(
    actions: list[TicketAction],
) -> None:
    status = S.RESERVED
    for action in actions:
        before = status
        try:
            status = next_status(status, action)
        except IllegalTransition:
            assert (before, action) not in LIFE
            assert status is before
        else:
            assert (before, action) in LIFE
        assert status in TicketStatus


def test_every_status_is_reachable_from_a_new_ticket() -> None:
    # A kiosk's number starts reserved; one taken from a phone starts remote.
    reached = {S.RESERVED, S.REMOTE}
    frontier = [S.RESERVED, S.REMOTE]
    while frontier:
        status = frontier.pop()
        for action in allowed_actions(status):
            following = next_status(status, action)
            if following not in reached:
                reached.add(following)
                frontier.append(following)
    assert reached == set(TicketStatus)
