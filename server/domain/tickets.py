"""The life of a ticket as a state machine: which action is allowed in which state."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    RESERVED = "reserved"  # issued, printing; not yet in the line
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a reservation never confirmed, or left waiting when the day ended
    REMOTE = "remote"  # taken from a phone; joins the line at check-in, keeping its place
    LAPSED = "lapsed"  # a remote ticket not checked in within the grace after its turn


class TicketAction(StrEnum):
    CONFIRM = "confirm"
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    RETURN = "return"
    TRANSFER = "transfer"
    ROUTE = "route"  # a visit's stop finished: on to the next stop's line, same number
    CANCEL = "cancel"
    EXPIRE = "expire"
    CHECK_IN = "check_in"
    LAPSE = "lapse"


class PriorityClass(StrEnum):
    REGULAR = "regular"
    PRIORITY = "priority"


class PriorityReason(StrEnum):
    """The groups UU 25/2009 (art. 29) entitles to special treatment."""

    DISABILITY = "disability"
    ELDERLY = "elderly"
    PREGNANT = "pregnant"
    CHILD = "child"
    DISASTER_VICTIM = "disaster_victim"


class Channel(StrEnum):
    KIOSK = "kiosk"
    WEB = "web"
    APPOINTMENT = "appointment"


S, A = TicketStatus, TicketAction
TRANSITIONS: dict[tuple[TicketStatus, TicketAction], TicketStatus] = {
    (S.RESERVED, A.CONFIRM): S.WAITING,
    (S.RESERVED, A.EXPIRE): S.EXPIRED,
    (S.RESERVED, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.TRANSFER): S.WAITING,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.EXPIRE): S.EXPIRED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.CALLED, A.FINISH): S.FINISHED,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.CALLED, A.TRANSFER): S.WAITING,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.SERVING, A.FINISH): S.FINISHED,
    (S.SERVING, A.TRANSFER): S.WAITING,
    (S.CALLED, A.ROUTE): S.WAITING,
    (S.SERVING, A.ROUTE): S.WAITING,
    (S.NO_SHOW, A.RETURN): S.WAITING,
    (S.REMOTE, A.CHECK_IN): S.WAITING,
    (S.REMOTE, A.LAPSE): S.LAPSED,
    (S.REMOTE, A.CANCEL): S.CANCELLED,
    (S.REMOTE, A.EXPIRE): S.EXPIRED,
}
del S, A

ACTIVE_AT_COUNTER = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})


class IllegalTransition(Exception):
    def __init__(self, status: TicketStatus, action: TicketAction) -> None:
        self.status = status
        self.action = action
        super().__init__(f"cannot {action.value} a ticket that is {status.value}")


def next_status(status: TicketStatus, action: TicketAction) -> TicketStatus:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def allowed_actions(status: TicketStatus) -> frozenset[TicketAction]:
    return frozenset(action for (state, action) in TRANSITIONS if state is status)
