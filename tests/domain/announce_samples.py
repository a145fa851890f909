"""The demo hall's opening: 43 counters each calling the first ticket of its main service."""

from __future__ import annotations

import collections
import tomllib

from common.announce_queue import Call
from server.config.hall import sample_hall_path


def opening_calls() -> list[Call]:
    hall = tomllib.loads(sample_hall_path().read_text(encoding="utf-8"))
    prefixes = {s["code"]: s["prefix"] for s in hall["service"]}
    taken: collections.Counter[str] = collections.Counter()
    calls = []
    for i, counter in enumerate(hall["counter"]):
        prefix = prefixes[max(counter["services"], key=counter["services"].get)]
        taken[prefix] += 1
        calls.append(Call(i + 1, f"{prefix}-{taken[prefix]:03d}", counter["number"],
                          counter["agency"], at=0.0))
    return calls
