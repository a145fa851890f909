"""One background thread that runs jobs in order, so an app's screen never waits on the network
or a device. A failing job is logged and the next one runs."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[], None]


class Worker:
    def __init__(self, name: str, *, ends_on: tuple[type[BaseException], ...] = ()) -> None:
        """``ends_on``: exceptions that mean the app is stopping, so the worker ends quietly."""
        self.name = name
        self._ends_on = ends_on
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until every job submitted so far has run (for tests and screenshots)."""
        done = threading.Event()
        self._jobs.put(done.set)
        return done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except self._ends_on:
                return
            except Exception:  # one failed job must not end the app
                log.exception("%s: a job failed", self.name)
