"""The tables, as SQLAlchemy 2 declarative models with portable column types.

``input_files`` holds each distinct input once, keyed by its SHA-256; ``analyses`` holds one row
per saved analysis with its parameters and result as JSON text (and, from migration 0002, the
project it belongs to); ``analysis_inputs`` links them under the name and role the input had in
that analysis. ``users``, ``projects``, ``memberships``, ``api_tokens`` and ``web_sessions`` hold
the accounts of the web app (passwords as argon2 hashes, tokens and sessions as SHA-256 hashes
only); ``stocks`` and ``aliquots`` (migration 0003) the compound inventory. The migrations in ``migrations/`` build the same schema (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Aliquot",
    "Analysis",
    "AnalysisInput",
    "ApiToken",
    "Base",
    "InputFile",
    "Membership",
    "Project",
    "Stock",
    "UTCDateTime",
    "User",
    "WebSession",
]

KIND_LENGTH = 64
ROLE_LENGTH = 64
NAME_LENGTH = 255
VERSION_LENGTH = 64
ACCOUNT_NAME_LENGTH = 64
HASH_LENGTH = 255
INVENTORY_TEXT_LENGTH = 64

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing a naive datetime {value.isoformat()}; give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (same on SQLite and PostgreSQL)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InputFile(Base):
    """One distinct input file, stored once by content hash."""

    __tablename__ = "input_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Analysis(Base):
    """One saved analysis: what was run, when, with which settings, and what came out."""

    __tablename__ = "analyses"
    # AUTOINCREMENT on SQLite: never reuse the id of a deleted analysis.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH), index=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    software_version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    parameters_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=True
    )


class AnalysisInput(Base):
    """The link from an analysis to an input file, under a role and a file name."""

    __tablename__ = "analysis_inputs"

    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(ROLE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("input_files.sha256"), index=True)


class User(Base):
    """A person who logs in to the web app; ``password_hash`` is an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(ACCOUNT_NAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Project(Base):
    """A group of analyses shared by its members."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(ACCOUNT_NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Membership(Base):
    """A user's membership of a project, as ``"owner"`` or ``"member"``."""

    __tablename__ = "memberships"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))


class ApiToken(Base):
    """An API token for scripts: only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(ACCOUNT_NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A browser login: the SHA-256 of the session secret, its user and when it expires."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Stock(Base):
    """A stock of a registry compound: a lot kept as lyophilised powder or as a solution
    (``concentration_value`` in ``concentration_unit``), with its net peptide content (mass
    fraction) and salt form where known, prepared on a date and kept at a temperature (°C)."""

    __tablename__ = "stocks"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    compound: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    lot: Mapped[str] = mapped_column(String(INVENTORY_TEXT_LENGTH))
    form: Mapped[str] = mapped_column(String(32))
    solvent: Mapped[str | None] = mapped_column(String(INVENTORY_TEXT_LENGTH), nullable=True)
    concentration_value: Mapped[float | None] = mapped_column(Double, nullable=True)
    concentration_unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    peptide_content: Mapped[float | None] = mapped_column(Double, nullable=True)
    salt_form: Mapped[str | None] = mapped_column(String(INVENTORY_TEXT_LENGTH), nullable=True)
    prepared_on: Mapped[date] = mapped_column(Date)
    storage_temperature_c: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True, nullable=True
    )


class Aliquot(Base):
    """A labelled portion of a stock (``volume_l`` in L), kept at a temperature (°C); each thaw
    increments ``freeze_thaw_count``; ``status`` available, empty or discarded."""

    __tablename__ = "aliquots"
    __table_args__ = (UniqueConstraint("label"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stocks.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(INVENTORY_TEXT_LENGTH))
    volume_l: Mapped[float] = mapped_column(Double)
    prepared_on: Mapped[date] = mapped_column(Date)
    storage_temperature_c: Mapped[float] = mapped_column(Double)
    freeze_thaw_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
