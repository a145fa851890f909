"""Counters and histograms a process keeps in memory, written out in Prometheus's text format.

Cheap on the hot path by design: a count is one dictionary update, an observation one bisect,
nothing is locked (one event loop per process) and nothing touches the store. What the store
knows (waiting lines, devices) is read when someone scrapes, not when a ticket moves
(``server.observe.hall``).

Several workers behind one address each keep their own figures; a scrape reaches one of them.
So each worker writes its figures to a shared folder now and then (``Pool``), and the one that
answers a scrape reports every live worker's, each under a ``worker`` label: a worker that dies
ends its series instead of making a sum go backwards, which Prometheus's ``rate()`` would take
for a reset.
"""

from __future__ import annotations

import json
import math
import os
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

Labels = tuple[str, ...]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds, from a millisecond to ten: a command in the hall takes a few milliseconds, a stalled
# one seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Sample:
    suffix: str  # appended to the family's name: "", or a histogram's "_bucket", "_sum", "_count"
    labels: dict[str, str]
    value: float


@dataclass
class Family:
    """One metric as written out: its name, type, help, and samples."""

    name: str
    kind: str  # counter, gauge, histogram
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> None:
        self.samples.append(Sample(suffix, labels, value))


class Counter:
    """Its name ends in ``_total``, as Prometheus's counters do."""

    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.values: dict[Labels, float] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self.values.get(labels, 0.0)

    def mirror(self, total: float, *labels: str) -> None:
        """Take a count kept elsewhere (by a module that knows nothing of metrics)."""
        self.values[labels] = total


class Gauge:
    """A level this process sets (its open sockets), not one the store holds."""

    kind = "gauge"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.values: dict[Labels, float] = {}

    def set(self, value: float, *labels: str) -> None:
        self.values[labels] = value


class Histogram:
    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS,
                 labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.buckets = tuple(sorted(buckets))
        # Per label set: the count in each bucket (not cumulative; the last is +Inf), then
        # the sum of the observations.
        self.values: dict[Labels, list[float]] = {}

    def observe(self, value: float, *labels: str) -> None:
        counts = self.values.get(labels)
        if counts is None:
            counts = self.values[labels] = [0.0] * (len(self.buckets) + 2)
        counts[bisect_left(self.buckets, value)] += 1  # the first bucket whose bound >= value
        counts[-1] += value


Metric = Counter | Gauge | Histogram
M = TypeVar("M", Counter, Gauge, Histogram)


class Registry:
    """A process's own metrics."""

    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, help, labels))

    def gauge(self, name: str, help: str, labels: Sequence[str] = ()) -> Gauge:
        return self._add(Gauge(name, help, labels))

    def histogram(self, name: str, help: str, buckets: Sequence[float] = LATENCY_BUCKETS,
                  labels: Sequence[str] = ()) -> Histogram:
        return self._add(Histogram(name, help, buckets, labels))

    def _add(self, metric: M) -> M:
        assert metric.name not in self.metrics, metric.name
        self.metrics[metric.name] = metric
        return metric

    def snapshot(self) -> dict[str, Any]:
        """Every value, as JSON can hold it (for the other workers to read)."""
        return {name: [[list(labels), value] for labels, value in metric.values.items()]
                for name, metric in self.metrics.items()}

    def families(self, snapshots: Iterable[tuple[str | None, dict[str, Any]]]) -> list[Family]:
        """This registry's metrics with the values of each snapshot, labelled with its worker
        (none for a process that serves alone)."""
        snapshots = list(snapshots)
        out = []
        for name, metric in self.metrics.items():
            family = Family(name, metric.kind, metric.help)
            for worker, snapshot in snapshots:
                for labels, value in snapshot.get(name, ()):
                    named = dict(zip(metric.labels, labels, strict=True))
                    if worker is not None:
                        named["worker"] = worker
                    if isinstance(metric, Histogram):
                        _histogram_samples(family, metric.buckets, value, named)
                    else:
                        family.add(value, **named)
            out.append(family)
        return out


def _histogram_samples(family: Family, buckets: Sequence[float], counts: Sequence[float],
                       labels: dict[str, str]) -> None:
    running = 0.0
    for bound, count in zip((*buckets, math.inf), counts, strict=False):
        running += count
        # Bounds written as floats ("1.0"), as Prometheus's own clients write them.
        family.add(running, "_bucket", **labels, le="+Inf" if math.isinf(bound) else repr(bound))
    family.add(counts[-1], "_sum", **labels)
    family.add(running, "_count", **labels)


class Pool:
    """The workers' shared folder: each writes its snapshot as ``<pid>.json``; a reader takes
    those of workers still alive and removes the others'."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._own = directory / f"{os.getpid()}.json"

    def write(self, snapshot: dict[str, Any]) -> None:
        partial = self._own.with_suffix(".partial")
        partial.write_text(json.dumps(snapshot), encoding="utf-8")
        partial.replace(self._own)  # readers never see half a file

    def read(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for path in sorted(self.directory.glob("*.json")):
            pid = int(path.stem) if path.stem.isdigit() else 0
            if not _alive(pid):
                path.unlink(missing_ok=True)
                continue
            try:
                found.append((str(pid), json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):  # replaced under our feet: the next scrape has it
                continue
        return found

    def remove(self) -> None:
        self._own.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- the text format

def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(families: Iterable[Family]) -> str:
    """Prometheus's text exposition format, version 0.0.4."""
    lines = []
    for family in families:
        help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(f"# HELP {family.name} {help_text}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            name = family.name + sample.suffix
            if sample.labels:
                labels = ",".join(f'{key}="{_escape(str(value))}"'
                                  for key, value in sample.labels.items())
                name += "{" + labels + "}"
            lines.append(f"{name} {_number(sample.value)}")
    return "\n".join(lines) + "\n"

