"""The bank-file import worker: imports the uploaded files that wait (``webhooks.bankfiles.jobs``)
beside the Stripe applier, in the same places: a thread in every app process (started with
the process, woken by an upload) and ``kassan webhooks work`` in the foreground.

Any number of workers may run against one database: ``jobs.claim`` gives each job to one, and
a job whose worker died (its heartbeat older than ``jobs.STALE_SECONDS``) is taken up by the
next one to look, which resumes it after the lines already booked.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import LedgerError
from webhooks.bankfiles import importer, jobs
from webhooks.errors import BankFileConflict, BankFileInvalid

__all__ = ["POLL_SECONDS", "ImportWorker", "Outcome", "work_once"]

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # a worker with nothing handed to it looks for waiting jobs this often


class Outcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # a bad file: nothing booked, the errors are on the job
    FAILED = "failed"  # the ledger refused a batch after the check
    LOST = "lost"  # another worker took the job over


def work_one(
    engine: Engine, config: Mapping[str, Any], job_id: int | None = None
) -> Outcome | None:
    """Claim one job (``job_id``, or the oldest that waits) and import it; None if none waits."""
    claimed = jobs.claim(engine, job_id)
    if claimed is None:
        return None
    found, token = claimed
    try:
        importer.run(engine, found, token, mail_config=config)
    except (BankFileInvalid, BankFileConflict):
        return Outcome.REFUSED
    except LedgerError:
        return Outcome.FAILED
    except jobs.JobLost:
        log.warning("bank import job %s was taken over by another worker", found)
        return Outcome.LOST
    except SQLAlchemyError:
        raise  # the database went away: the job goes stale and is resumed later
    except Exception as exc:  # a fault of ours, not of the file: end the job, do not loop on it
        log.exception("bank import job %s failed", found)
        jobs.fail(engine, found, token, f"{type(exc).__name__}: {exc}")
        return Outcome.FAILED
    return Outcome.DONE


def work_once(engine: Engine, config: Mapping[str, Any]) -> dict[Outcome, int]:
    """Import every job that waits now (``kassan webhooks work --once``, tests)."""
    counts = dict.fromkeys(Outcome, 0)
    while (outcome := work_one(engine, config)) is not None:
        counts[outcome] += 1
    return counts


class ImportWorker:
    """Imports waiting jobs in a thread of its own (``start``, ``submit``) or in the
    foreground (``run``), until ``stop``."""

    def __init__(
        self, engine: Engine, config: Mapping[str, Any], poll_every: float = POLL_SECONDS
    ) -> None:
        self.engine, self.config, self.poll_every = engine, config, poll_every
        self.counts = dict.fromkeys(Outcome, 0)
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Run in a thread (once per process) and look for waiting jobs now."""
        if self._pid != os.getpid():  # forked after this object was made: start afresh
            self._reset()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self.run, name="bank-import-worker", daemon=True
                )
                self._thread.start()
        self._wake.set()

    submit = start  # an upload: wake the worker

    def stop(self, timeout: float = 10.0) -> None:
        """Stop once the job at hand is done (a job cut short is resumed by the next worker)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                while not self._stopping.is_set():
                    outcome = work_one(self.engine, self.config)
                    if outcome is None:
                        break
                    self.counts[outcome] += 1
            except SQLAlchemyError:
                # The database went away mid-import; the job's heartbeat goes stale and a
                # worker resumes it later. Pause so an outage does not spin.
                log.exception("the bank import worker could not reach the database")
            self._wake.wait(self.poll_every)
