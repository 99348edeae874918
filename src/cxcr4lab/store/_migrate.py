"""Bring a database to the newest schema with the migrations shipped inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

__all__ = ["SCRIPT_LOCATION", "alembic_config", "upgrade_to_head"]

SCRIPT_LOCATION = "cxcr4lab.store:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the package's migrations, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(connection: Connection) -> None:
    """Apply every migration the database lacks (nothing, if it is up to date)."""
    command.upgrade(alembic_config(connection), "head")
