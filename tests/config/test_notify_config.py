"""The hall's [site.notify]: what it refuses, in both languages, and what it keeps."""

from __future__ import annotations

from conftest import SMALL_HALL

from server.config.hall import check_hall


def checked(notify: str) -> list[str]:
    text = SMALL_HALL.read_text() + "\n[site.notify]\n" + notify
    return [f"{e.message} / {e.message_id}" for e in check_hall(text).errors]


def test_a_complete_channel_is_accepted() -> None:
    assert checked('channel = "modem"\nmodem_port = "/dev/ttyUSB2"\n') == []
    assert checked('channel = "webhook"\nwebhook_url = "https://gw.example/antrean"\n'
                   'texts = { called = "{number} ke loket {counter}" }\n') == []


def test_a_channel_without_its_address_is_refused() -> None:
    [problem] = checked('channel = "modem"\n')
    assert "modem_port" in problem and "memerlukan" in problem
    [problem] = checked('channel = "webhook"\nwebhook_url = "gw.example"\n')
    assert "webhook_url" in problem


def test_a_text_with_an_unknown_placeholder_or_name_is_refused() -> None:
    [problem] = checked('texts = { called = "Nomor {nomor}" }\n')
    assert "nomor" in problem
    [problem] = checked('texts = { dipanggil = "Nomor {number}" }\n')
    assert "dipanggil" in problem
