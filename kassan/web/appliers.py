"""Each app process's Stripe applier (``webhooks.stripe.worker.Applier``), kept on the app.

With ``STRIPE_WEBHOOK_APPLY=background`` it starts with the app process (``start_with_app``)
and sweeps the inbox every ``SWEEP_SECONDS``, so an event that a dead process answered 200 is
booked after the restart even when no delivery follows. Tests make many apps and start their
appliers themselves (``STRIPE_APPLIER_AUTOSTART``, off when ``KASSAN_ENV=test``).
"""

from __future__ import annotations

import threading

from flask import Flask

from kassan.web.database import get_engine
from webhooks.stripe import worker
from webhooks.stripe.worker import SWEEP_SECONDS, Applier

EXTENSION_KEY = "kassan.stripe_applier"
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


def stop(app: Flask, timeout: float = 10.0) -> None:
    """End the app's applier threads if they run (tests, and a clean shutdown)."""
    found = app.extensions.get(EXTENSION_KEY)
    if isinstance(found, Applier):
        found.stop(timeout)


def start_with_app(app: Flask) -> None:
    """Start the applier with the process when events are booked in the background and the
    app can take Stripe events at all."""
    autostart = app.config.get("STRIPE_APPLIER_AUTOSTART")
    if autostart is None:
        autostart = app.config.get("KASSAN_ENV") != "test"
    if (
        autostart
        and worker.mode(app.config) == "background"
        and app.config.get("STRIPE_WEBHOOK_SECRET")
    ):
        applier_for(app).start()
