"""One design: the pygame apps and the browser pages take their words, colours and keys from
common.design, and the server hands the pages exactly that."""

from __future__ import annotations

import re

import httpx
from conftest import Hall

from common import ui
from common.design import COUNTER_TEXTS, DISPLAY_COLORS, DISPLAY_TEXTS, design, hex_of
from counter_client.screens import BUTTONS, SHORTCUTS
from counter_client.texts import say
from display import screens


async def test_the_pages_get_the_design_the_pygame_apps_draw_with(hall: Hall) -> None:
    served = (await hall.client.get("/api/v1/design")).json()
    assert served == httpx.Response(200, json=design()).json()
    assert served["display"]["texts"]["calling"] == list(DISPLAY_TEXTS["calling"])
    assert screens.TEXTS is DISPLAY_TEXTS and DISPLAY_COLORS["number"] == screens.NUMBER
    assert served["display"]["colors"]["number"] == hex_of(screens.NUMBER) == "#ffd60a"
    assert served["palette"]["accent"] == hex_of(ui.ACCENT)
    # the same buttons in the same order; F-keys in the window, 1 … 0 in a browser
    assert [b["action"] for b in served["counter"]["buttons"]] == [a for _, a in BUTTONS]
    assert [b["key"] for b in served["counter"]["buttons"]] == list("1234567890")
    assert SHORTCUTS["F1"] == "call_next" and SHORTCUTS["F12"] == "language"
    assert say("closed_hint", "id") == "Loket tutup. Tekan F7 untuk membuka loket."
    assert COUNTER_TEXTS["closed_hint"][0] == "Loket tutup. Tekan {pause} untuk membuka loket."
    assert served["counter"]["keys"]["pause"] == "7"  # the page fills in its own key
    for name, script in (("/display", "/static/display.js"), ("/loket", "/static/loket.js")):
        page = await hall.client.get(name)
        assert page.status_code == 200 and '"NOMOR ANTREAN"' in page.text and script in page.text
        # nothing from outside the hall: every script, sheet and picture from this server
        assert not re.search(r'(src|href)="(https?:)?//', page.text)
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            body = (await hall.client.get(asset)).text
            assert not re.search(r"https?://|url\(", body), asset
