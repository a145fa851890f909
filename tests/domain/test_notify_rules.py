"""The notification rules: which message a ticket's happening makes due, its cause, its text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.notify import (
    DEFAULT_TEXTS,
    Happening,
    NotifyRules,
    PhoneError,
    RateLimit,
    Subscription,
    TextError,
    check_text,
    due,
    mask_phone,
    normalise_phone,
)

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
VALUES = {"site": "MPP Uji", "survey": "http://hall/t/ABC#survei", "stop": "http://hall/s/x"}


def waiting(ahead: int | None, service: str = "KTP") -> Happening:
    return Happening("waiting", 42, "A-012", service, 7, "KTP-el", people_ahead=ahead)


def called(count: int = 1) -> Happening:
    return Happening("called", 42, "A-012", "KTP", 7, "KTP-el", call_count=count, counter=5,
                     counter_name="Loket 5", agency="Dukcapil")


def test_called_to_the_counter_and_its_agency_in_indonesian_first() -> None:
    message = due(called(), Subscription(42), NotifyRules(), VALUES)
    assert message is not None
    assert message.kind == "called" and message.cause == "ticket 42 called 1"
    assert message.text.startswith("Nomor A-012 dipanggil ke Loket 5 (Dukcapil).")


def test_english_when_the_citizen_chose_it() -> None:
    message = due(called(), Subscription(42, language="en"), NotifyRules(), VALUES)
    assert message is not None and "called to counter 5 (Dukcapil)" in message.text


def test_each_recall_is_its_own_cause() -> None:
    causes = {due(called(n), Subscription(42), NotifyRules(), VALUES).cause  # type: ignore[union-attr]
              for n in (1, 2, 3)}
    assert causes == {"ticket 42 called 1", "ticket 42 called 2", "ticket 42 called 3"}


def test_ahead_only_within_the_services_n() -> None:
    rules = NotifyRules(ahead=3, ahead_per_service={"KTP": 5})
    assert due(waiting(6), Subscription(42), rules, VALUES) is None
    message = due(waiting(5), Subscription(42), rules, VALUES)
    assert message is not None and message.cause == "ticket 42 ahead 7"
    assert "tinggal 5 orang di depan Anda" in message.text
    assert due(waiting(4, service="KK"), Subscription(42), rules, VALUES) is None
    assert due(waiting(3, service="KK"), Subscription(42), rules, VALUES) is not None


@given(st.integers(0, 500), st.integers(0, 50))
def test_ahead_is_due_exactly_when_within_n(ahead: int, n: int) -> None:
    message = due(waiting(ahead), Subscription(42), NotifyRules(ahead=n), VALUES)
    assert (message is not None) == (ahead <= n)
    if message is not None:
        assert message.cause == "ticket 42 ahead 7"  # the same for every N: sent once


def test_survey_link_after_service_and_nothing_after_opting_out() -> None:
    finished = Happening("finished", 42, "A-012", "KTP", 7, "KTP-el", counter=5)
    message = due(finished, Subscription(42), NotifyRules(), VALUES)
    assert message is not None and message.cause == "ticket 42 finished"
    assert message.text.endswith("http://hall/t/ABC#survei")
    assert due(finished, Subscription(42, opted_out=True), NotifyRules(), VALUES) is None
    assert due(finished, Subscription(43), NotifyRules(), VALUES) is None


def test_the_halls_text_replaces_the_default() -> None:
    rules = NotifyRules(texts={"called": "{number} ke loket {counter}", "called_en": "{number}!"})
    assert due(called(), Subscription(42), rules, VALUES).text == "A-012 ke loket 5"  # type: ignore[union-attr]
    assert due(called(), Subscription(42, "en"), rules, VALUES).text == "A-012!"  # type: ignore[union-attr]


def test_default_texts_are_known_and_fit_the_gsm_alphabet() -> None:
    for pair in DEFAULT_TEXTS.values():
        for text in pair:
            check_text(text)
            assert all(ord(ch) < 128 for ch in text)  # no dash or curly quote: 160 per SMS
    with pytest.raises(TextError):
        check_text("Nomor {nomor}")
    with pytest.raises(TextError):
        check_text("Nomor {number")


def test_rate_limit_per_phone_counts_the_last_hour() -> None:
    limit = RateLimit(per_hour=3)
    recent = [NOW - timedelta(minutes=m) for m in (1, 10, 50)]
    assert not limit.allows(recent, NOW)
    assert limit.allows(recent, NOW + timedelta(minutes=11))  # the oldest left the hour
    assert limit.allows([], NOW)


@given(st.lists(st.integers(0, 7200), max_size=30), st.integers(1, 20))
def test_rate_limit_never_lets_more_than_per_hour_into_an_hour(ages: list[int], n: int) -> None:
    recent = [NOW - timedelta(seconds=s) for s in ages]
    in_hour = sum(1 for s in ages if s < 3600)
    assert RateLimit(per_hour=n).allows(recent, NOW) == (in_hour < n)


def test_phones_normalised_and_masked() -> None:
    assert normalise_phone("0812-3456-7890") == "+6281234567890"
    assert normalise_phone("+62 812 3456 7890") == "+6281234567890"
    assert normalise_phone("6281234567890") == "+6281234567890"
    for bad in ("12345", "021-555-1234", "08abc", "+62812"):
        with pytest.raises(PhoneError):
            normalise_phone(bad)
    assert mask_phone("+6281234567890") == "+62********890"
    assert "3456" not in mask_phone("081234567890")
