"""The app's SQLAlchemy engine: made by ``create_app``, kept in ``app.extensions``."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

ENGINE_KEY = "kassan.engine"


def get_engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[ENGINE_KEY]
    return engine
