"""Each app process's Stripe applier (``webhooks.stripe.worker.Applier``), kept on the app."""

from __future__ import annotations

import threading

from flask import Flask

from kassan.web.database import get_engine
from webhooks.stripe.worker import Applier

EXTENSION_KEY = "kassan.stripe_applier"
_created_lock = threading.Lock()


def applier_for(app: Flask) -> Applier:
    """This app's in-process applier, made on first use."""
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        with _created_lock:
            found = app.extensions.get(EXTENSION_KEY)
            if found is None:
                found = Applier(get_engine(app), app.config)
                app.extensions[EXTENSION_KEY] = found
    applier: Applier = found
    return applier


def stop(app: Flask, timeout: float = 10.0) -> None:
    """End the app's applier threads if they run (tests, and a clean shutdown)."""
    found = app.extensions.get(EXTENSION_KEY)
    if isinstance(found, Applier):
        found.stop(timeout)
