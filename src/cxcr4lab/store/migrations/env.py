"""Alembic environment for the results store.

:class:`cxcr4lab.store.Store` runs this with its own connection in
``config.attributes["connection"]``; otherwise (the ``alembic`` command line) the URL comes from
``sqlalchemy.url`` or :func:`cxcr4lab.store.default_url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from cxcr4lab.store._schema import Base
from cxcr4lab.store._url import default_url


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Migrate the handed-over connection, or the configured database."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or default_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure_and_run(connection)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _configure_and_run(own)
    finally:
        engine.dispose()


run()
