"""A booking's .ics: its lines folded as RFC 5545 wants, and read back whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.web.online import _folded, _ics_text


@given(st.text(max_size=400))
def test_a_line_folds_at_75_octets_and_unfolds_to_itself(text: str) -> None:
    line = "DESCRIPTION:" + _ics_text(text.replace("\r", ""))
    folded = _folded(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert "\n" not in line  # newlines are escaped, never raw


def test_commas_semicolons_and_newlines_are_escaped() -> None:
    assert _ics_text("KTP, KK; lalu\nfoto") == "KTP\\, KK\\; lalu\\nfoto"
