"""Each app process's background workers, kept on the app: the Stripe applier
(``webhooks.stripe.worker.Applier``) and the bank-file import worker
(``webhooks.bankfiles.worker.ImportWorker``).

With ``STRIPE_WEBHOOK_APPLY=background`` it starts with the app process (``start_with_app``)
and sweeps the inbox every ``SWEEP_SECONDS``, so an event that a dead process answered 200 is
booked after the restart even when no delivery follows. Tests make many apps and start their
appliers themselves (``STRIPE_APPLIER_AUTOSTART``, off when ``KASSAN_ENV=test``; it governs
both workers).

The import worker starts with the process too (unless ``KASSAN_BANK_IMPORT_IN_APP=0``: then
only ``kassan webhooks work`` imports) and looks for waiting files every ``POLL_SECONDS``; an
upload wakes it at once.
"""

from __future__ import annotations

import threading

from flask import Flask

from kassan.web.database import get_engine
from webhooks.bankfiles.worker import ImportWorker
from webhooks.stripe import worker
from webhooks.stripe.worker import SWEEP_SECONDS, Applier

EXTENSION_KEY = "kassan.stripe_applier"
IMPORT_WORKER_KEY = "kassan.bank_import_worker"
_created_lock = threading.Lock()


def applier_for(app: Flask) -> Applier:
    """This app's in-process applier, made on first use."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        with _created_lock:
            found = app.extensions.get(EXTENSION_KEY)
            if found is None:
                found = Applier(get_engine(app), app.config, poll_every=SWEEP_SECONDS)
                app.extensions[EXTENSION_KEY] = found
    applier: Applier = found
    return applier


def import_worker_for(app: Flask) -> ImportWorker:
    """This app's in-process bank-file import worker, made on first use."""
    found = app.extensions.get(IMPORT_WORKER_KEY)
    if found is None:
        with _created_lock:
            found = app.extensions.get(IMPORT_WORKER_KEY)
            if found is None:
                found = ImportWorker(get_engine(app), app.config)
                app.extensions[IMPORT_WORKER_KEY] = found
    import_worker: ImportWorker = found
    return import_worker


def _autostart(app: Flask) -> bool:
    autostart = app.config.get("STRIPE_APPLIER_AUTOSTART")
    if autostart is None:
        autostart = app.config.get("KASSAN_ENV") != "test"
    return bool(autostart)


def imports_in_app(app: Flask) -> bool:
    """Whether this process imports uploaded bank files itself (else a worker process does)."""
    return _autostart(app) and bool(app.config.get("BANK_IMPORT_IN_APP", True))


def wake_import_worker(app: Flask) -> None:
    """A file was uploaded: start or wake this process's import worker, when it has one."""
    if imports_in_app(app):
        import_worker_for(app).submit()


def stop(app: Flask, timeout: float = 10.0) -> None:
    """End the app's applier threads if they run (tests, and a clean shutdown)."""
    found = app.extensions.get(EXTENSION_KEY)
    if isinstance(found, Applier):
        found.stop(timeout)
    importing = app.extensions.get(IMPORT_WORKER_KEY)
    if isinstance(importing, ImportWorker):
        importing.stop(timeout)


def start_with_app(app: Flask) -> None:
    """Start the import worker with the process, and the Stripe applier when events are
    booked in the background and the app can take Stripe events at all."""
    if imports_in_app(app):
        import_worker_for(app).start()
    if (
        _autostart(app)
        and worker.mode(app.config) == "background"
        and app.config.get("STRIPE_WEBHOOK_SECRET")
    ):
        applier_for(app).start()
