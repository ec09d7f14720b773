"""The Flask app factory. ``create_app`` does no I/O: the engine connects on first use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from ledger.config import from_environment
from ledger.db.engine import make_engine


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance = os.environ.get("KASSAN_INSTANCE_PATH") or str(Path.cwd() / "instance")
    app = Flask(__name__, instance_path=instance)
    app.config.update(from_environment(app.instance_path))
    if config:
        app.config.update(config)
    app.extensions["kassan.engine"] = make_engine(app.config["DATABASE_URL"])
    return app


def get_engine(app: Flask) -> Engine:
    engine: Engine = app.extensions["kassan.engine"]
    return engine
