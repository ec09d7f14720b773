"""``reports.funding.kept`` in a forked child: a fresh lock and nothing kept, even when the
parent forked while another thread held the lock (a worker server forking after a view)."""

from __future__ import annotations

import importlib
import os
import threading

import pytest
from sqlalchemy import create_engine

# the module, not the function ``reports.funding.kept`` that the package exports by that name
kept = importlib.import_module("reports.funding.kept")


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_child_forked_while_another_thread_holds_the_lock_can_take_it():
    engine = create_engine("sqlite://")
    with kept._lock:
        kept._kept.setdefault(engine, {})["key"] = (0, "figures")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with kept._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        pid = os.fork()
        if pid == 0:  # the child: exit 0 if it took the lock and kept nothing, else 1 or 2
            code = 2
            try:
                took = kept._lock.acquire(timeout=1)
                code = 0 if took and engine not in kept._kept else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        holder.join()
    assert engine in kept._kept  # the parent keeps what it kept
    engine.dispose()
