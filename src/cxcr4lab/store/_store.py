"""The results store: analyses with their parameters, results and input files, in one database."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Self, TypeVar

from alembic.util import CommandError
from sqlalchemy import Engine, Select, create_engine, delete, event, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import defer, sessionmaker

from cxcr4lab.core.errors import InputError, NotFoundError, StoreError
from cxcr4lab.store._accounts import Accounts
from cxcr4lab.store._inventory import Inventory
from cxcr4lab.store._migrate import upgrade_to_head
from cxcr4lab.store._records import (
    AnalysisRecord,
    AnalysisSummary,
    InputBlob,
    InputRef,
    JsonText,
)
from cxcr4lab.store._schema import (
    KIND_LENGTH,
    NAME_LENGTH,
    ROLE_LENGTH,
    Analysis,
    AnalysisInput,
    InputFile,
    Project,
)
from cxcr4lab.store._url import default_url

__all__ = ["Store"]

SQLITE_BUSY_TIMEOUT_S = 30
MAX_ID = 2**31 - 1
"""Largest id an INTEGER column holds on every backend (PostgreSQL's is 32-bit)."""

_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


def _utc_now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def _software_version() -> str:
    """The installed version (read from the package metadata once: parsing it costs ~0.5 ms)."""
    try:
        return version("cxcr4lab")
    except PackageNotFoundError:
        return "unknown"


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message if there is one (without SQLAlchemy's statement dump)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig)
    return str(exc)


def _shown(url: str) -> str:
    """The URL as it may appear in a message: password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return url


_PLAIN = (str, int, type(None))  # bool is an int
"""Values that always survive a JSON round trip: items of these are not visited (nor their paths
written), which keeps the check cheap on a result of thousands of numbers and names."""


def _check_json(value: Any, path: str) -> None:
    """Refuse anything that does not survive a JSON round trip unchanged, naming where it is."""
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StoreError(f"{path} is {value}, which JSON cannot hold")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StoreError(f"{path} has a key {key!r} that is not a string")
            if not isinstance(item, _PLAIN):
                _check_json(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if not isinstance(item, _PLAIN):
                _check_json(item, f"{path}[{i}]")
        return
    raise StoreError(f"{path} is a {type(value).__name__}, which JSON cannot hold")


_SCALARS = (str, int, float, type(None))
"""Values :func:`_plain_shape` does not visit: ``json.dumps(allow_nan=False)`` refuses the only
bad ones among them (non-finite floats)."""


def _plain_shape(value: Any) -> bool:
    """Whether ``value`` is mappings with string keys and lists of JSON scalars all the way down
    (floats not looked at); the cheap first pass of :func:`_to_json`, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if type(key) is not str:
                    return False
                if not isinstance(inner, _SCALARS):
                    stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(inner for inner in item if not isinstance(inner, _SCALARS))
        else:
            return False
    return True


def _to_json(value: Mapping[str, Any], what: str) -> str:
    """``value`` as JSON text, or a :class:`StoreError` naming where it cannot be: a shape
    check and ``json.dumps(allow_nan=False)`` first; the naming walk (:func:`_check_json`) only
    when one of them refuses."""
    if not isinstance(value, Mapping):
        raise StoreError(f"{what} must be a mapping, not a {type(value).__name__}")
    if not _plain_shape(value):
        _check_json(value, what)
    try:
        return json.dumps(dict(value), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        _check_json(value, what)  # names the place where it can
        raise StoreError(f"{what} cannot be stored as JSON: {exc}") from exc


def encode_json(value: Mapping[str, Any], what: str = "result") -> JsonText:
    """``value`` checked and written as JSON, as :meth:`Store.save_analysis` would: done apart
    (in the process that made the result), the save only stores the text."""
    return JsonText(_to_json(value, what))


def _from_json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"{what} in the database is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreError(f"{what} in the database is not a JSON object")
    return value


def _check_text(value: object, field: str, max_length: int | None) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"must be a non-empty string, got {value!r}", field=field)
    if max_length is not None and len(value) > max_length:
        raise InputError(f"is {len(value)} characters long; at most {max_length}", field=field)


def _check_inputs(inputs: Sequence[InputBlob]) -> None:
    seen: set[tuple[str, str]] = set()
    for i, blob in enumerate(inputs):
        where = f"inputs[{i}]"
        if not isinstance(blob, InputBlob):
            raise InputError(f"must be an InputBlob, got {type(blob).__name__}", field=where)
        _check_text(blob.name, f"{where}.name", NAME_LENGTH)
        _check_text(blob.role, f"{where}.role", ROLE_LENGTH)
        if not isinstance(blob.content, bytes):
            raise InputError(f"must be bytes, got {type(blob.content).__name__}", field=where)
        key = (blob.role, blob.name)
        if key in seen:
            raise InputError(f"role {blob.role!r} and name {blob.name!r} given twice", field=where)
        seen.add(key)


SQLITE_POOL = 48
"""Connections an SQLite file engine keeps open: more than the server's worker threads (40), so
a busy server reuses its connections instead of opening (and configuring) one per request."""


def _create_engine(url: str) -> Engine:
    """An engine for ``url``; on SQLite with foreign keys, WAL and a busy timeout."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return create_engine(sa_url, pool_pre_ping=True)
    in_memory = sa_url.database in (None, "", ":memory:")
    pool: dict[str, int] = {} if in_memory else {"pool_size": SQLITE_POOL, "max_overflow": 0}
    engine = create_engine(sa_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pool)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            if not in_memory:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file: set once
                # WAL's recommended level: a commit is atomic and the file never corrupt, but it
                # is not synced to disk at once (a power cut may undo the last commits); an fsync
                # per commit would cap a busy server at the disk's rate of syncs.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return engine


class Store:
    """The results database: one transaction per analysis, inputs kept once by content hash.

    ``url`` is any SQLAlchemy URL (SQLite file, ``sqlite://`` in memory, PostgreSQL); by default
    :func:`default_url`. Opening applies any missing schema migrations. ``clock`` (returning
    timezone-aware datetimes) stamps new analyses; it exists for tests.
    """

    url: str

    def __init__(
        self, url: str | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.url = default_url() if url is None else url
        self._shown = _shown(self.url)
        self._clock = clock or _utc_now
        self._closed = False
        engine: Engine | None = None
        try:
            engine = _create_engine(self.url)
            with engine.begin() as connection:
                upgrade_to_head(connection)
        except (SQLAlchemyError, CommandError, ImportError) as exc:
            if engine is not None:
                engine.dispose()
            if isinstance(exc, ImportError):
                reason = f"its database driver is not installed ({exc})"
            elif isinstance(exc, SQLAlchemyError):
                reason = _reason(exc)
            else:
                reason = str(exc)
            raise StoreError(f"cannot open the results database {self._shown}: {reason}") from exc
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({self._shown!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def accounts(self) -> Accounts:
        """Users, projects, API tokens and sessions in this database."""
        return Accounts(self._sessions, self._guard)

    @property
    def inventory(self) -> Inventory:
        """Stocks and aliquots of compounds in this database (dates by the store's clock)."""
        return Inventory(self._sessions, self._guard, self._clock)

    def close(self) -> None:
        """Release the database connections. Closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn database failures into one :class:`StoreError` naming the action and the URL."""
        if self._closed:
            raise StoreError(f"cannot {action}: the store {self._shown} is closed")
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {action} in {self._shown}: {_reason(exc)}") from exc

    def save_analysis(
        self,
        *,
        kind: str,
        title: str,
        result: Mapping[str, Any] | JsonText,
        parameters: Mapping[str, Any],
        inputs: Sequence[InputBlob],
        project_id: int | None = None,
    ) -> int:
        """Save one analysis and its inputs in one transaction; return its id.

        ``project_id`` files it under a project (see :class:`~cxcr4lab.store.Accounts`). Inputs
        are stored by content hash, so identical bytes are kept once however often they are
        saved, also when several saves of the same bytes run at the same time. Everything is checked and serialised before the database is touched; if
        anything fails, nothing is written and :class:`StoreError` is raised.
        """
        _check_text(kind, "kind", KIND_LENGTH)
        if not isinstance(title, str):
            raise InputError(f"must be a string, got {type(title).__name__}", field="title")
        if project_id is not None and (
            isinstance(project_id, bool) or not isinstance(project_id, int)
        ):
            raise InputError(f"must be an integer id, got {project_id!r}", field="project_id")
        _check_inputs(inputs)
        result_json = result.text if isinstance(result, JsonText) else _to_json(result, "result")
        parameters_json = _to_json(parameters, "parameters")
        created_at = self._clock()
        if created_at.tzinfo is None:
            raise StoreError("the store's clock returned a naive datetime; it must be tz-aware")
        action = f"save a {kind!r} analysis"
        try:
            with self._guard(action):
                return self._insert(
                    kind, title, created_at, parameters_json, result_json, inputs, project_id
                )
        except StoreError:
            raise
        except Exception as exc:  # rolled back already; the caller gets one kind of error
            raise StoreError(f"cannot {action} in {self._shown}: {exc!r}") from exc

    def _insert(
        self,
        kind: str,
        title: str,
        created_at: datetime,
        parameters_json: str,
        result_json: str,
        inputs: Sequence[InputBlob],
        project_id: int | None,
    ) -> int:
        """The writes of :meth:`save_analysis`, in one transaction (inputs first, then links).

        Input files go in with ``INSERT ... ON CONFLICT DO NOTHING``, so two saves of the same
        bytes at the same time both succeed and the bytes are kept once.
        """
        by_hash = {blob.sha256: blob for blob in inputs}
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            for sha, blob in by_hash.items():
                session.execute(
                    insert(InputFile)
                    .values(
                        sha256=sha,
                        size_bytes=len(blob.content),
                        content=blob.content,
                        created_at=created_at,
                    )
                    .on_conflict_do_nothing(index_elements=["sha256"])
                )
            analysis = Analysis(
                kind=kind,
                title=title,
                created_at=created_at,
                software_version=_software_version(),
                parameters_json=parameters_json,
                result_json=result_json,
                project_id=project_id,
            )
            session.add(analysis)
            session.flush()
            analysis_id = analysis.id
            session.add_all(
                AnalysisInput(
                    analysis_id=analysis_id, role=blob.role, name=blob.name, sha256=blob.sha256
                )
                for blob in inputs
            )
        return analysis_id

    def get(self, analysis_id: int, *, with_result: bool = True) -> AnalysisRecord:
        """The analysis with this id, in full (with ``with_result=False``: its ``result`` left
        empty, neither read nor decoded); :class:`NotFoundError` if there is none."""
        self._check_id(analysis_id)
        with self._guard(f"read analysis {analysis_id}"), self._sessions() as session:
            options = () if with_result else (defer(Analysis.result_json),)
            row = session.get(Analysis, analysis_id, options=options)
            if row is None:
                raise NotFoundError(f"no analysis with id {analysis_id} in {self._shown}")
            links = session.execute(
                select(
                    AnalysisInput.name,
                    AnalysisInput.role,
                    AnalysisInput.sha256,
                    InputFile.size_bytes,
                )
                .join(InputFile, InputFile.sha256 == AnalysisInput.sha256)
                .where(AnalysisInput.analysis_id == analysis_id)
                .order_by(AnalysisInput.role, AnalysisInput.name)
            ).all()
        return AnalysisRecord(
            id=row.id,
            kind=row.kind,
            title=row.title,
            created_at=row.created_at,
            software_version=row.software_version,
            parameters=_from_json(row.parameters_json, f"parameters of analysis {row.id}"),
            result=_from_json(row.result_json, f"result of analysis {row.id}")
            if with_result
            else {},
            inputs=tuple(
                InputRef(name=name, role=role, sha256=sha, size_bytes=size)
                for name, role, sha, size in links
            ),
            project_id=row.project_id,
        )

    def _check_id(self, analysis_id: int) -> None:
        """An id no database column can hold (or not an int) is simply not there."""
        if isinstance(analysis_id, bool) or not isinstance(analysis_id, int):
            raise InputError(f"must be an integer, got {analysis_id!r}", field="analysis_id")
        if not 1 <= analysis_id <= MAX_ID:
            raise NotFoundError(f"no analysis with id {analysis_id} in {self._shown}")

    def list(
        self,
        *,
        kind: str | None = None,
        search: str | None = None,
        limit: int = 100,
        offset: int = 0,
        project_ids: Collection[int] | None = None,
    ) -> list[AnalysisSummary]:
        """Analyses newest first, optionally of one ``kind`` and matching ``search``.

        ``search`` is a case-insensitive substring of the title or of an input file name;
        ``project_ids`` (if given) keeps only analyses of those projects; ``offset`` skips that
        many rows (for pages).
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(f"must be a positive integer, got {limit!r}", field="limit")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InputError(f"must be a non-negative integer, got {offset!r}", field="offset")
        query = self._filtered(
            select(
                Analysis.id, Analysis.kind, Analysis.title, Analysis.created_at, Analysis.project_id
            ),
            kind,
            search,
            project_ids,
        )
        query = query.order_by(Analysis.created_at.desc(), Analysis.id.desc())
        query = query.limit(limit).offset(offset)
        with self._guard("list analyses"), self._sessions() as session:
            rows = session.execute(query).all()
            names: dict[int, list[str]] = {row.id: [] for row in rows}
            if names:
                for analysis_id, name in session.execute(
                    select(AnalysisInput.analysis_id, AnalysisInput.name)
                    .where(AnalysisInput.analysis_id.in_(names))
                    .order_by(AnalysisInput.role, AnalysisInput.name)
                ):
                    names[analysis_id].append(name)
        return [
            AnalysisSummary(
                id=row.id,
                kind=row.kind,
                title=row.title,
                created_at=row.created_at,
                input_names=tuple(names[row.id]),
                project_id=row.project_id,
            )
            for row in rows
        ]

    def count(
        self,
        *,
        kind: str | None = None,
        search: str | None = None,
        project_ids: Collection[int] | None = None,
    ) -> int:
        """How many analyses :meth:`list` would give without a limit."""
        query = self._filtered(select(func.count(Analysis.id)), kind, search, project_ids)
        with self._guard("count analyses"), self._sessions() as session:
            return int(session.scalar(query) or 0)

    @staticmethod
    def _filtered(
        query: _Q,
        kind: str | None,
        search: str | None,
        project_ids: Collection[int] | None,
    ) -> _Q:
        if kind is not None:
            query = query.where(Analysis.kind == kind)
        if project_ids is not None:
            query = query.where(Analysis.project_id.in_(list(project_ids)))
        if search is not None and search.strip():
            term = search.strip().lower()
            in_names = exists().where(
                AnalysisInput.analysis_id == Analysis.id,
                func.lower(AnalysisInput.name).contains(term, autoescape=True),
            )
            query = query.where(
                or_(func.lower(Analysis.title).contains(term, autoescape=True), in_names)
            )
        return query

    def input_content(self, sha256: str) -> bytes:
        """The bytes stored under this SHA-256 (hex); :class:`NotFoundError` if there are none."""
        with self._guard(f"read input {sha256}"), self._sessions() as session:
            content = session.scalar(
                select(InputFile.content).where(InputFile.sha256 == sha256.lower())
            )
        if content is None:
            raise NotFoundError(f"no input file with sha256 {sha256} in {self._shown}")
        return content

    def move_to_project(self, analysis_id: int, project_id: int) -> str | None:
        """File an analysis under the project ``project_id`` (out of any other), in one
        transaction; return the name of the project it was in before (None if none). Moving it
        into the project it is already in changes nothing. :class:`NotFoundError` if the
        analysis or the project is not there."""
        self._check_id(analysis_id)
        if isinstance(project_id, bool) or not isinstance(project_id, int):
            raise InputError(f"must be an integer id, got {project_id!r}", field="project_id")
        action = f"move analysis {analysis_id} to project {project_id}"
        with self._guard(action), self._sessions.begin() as session:
            row = session.get(Analysis, analysis_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no analysis with id {analysis_id} in {self._shown}")
            if session.get(Project, project_id) is None:
                raise NotFoundError(f"no project with id {project_id} in {self._shown}")
            before = None if row.project_id is None else session.get(Project, row.project_id)
            row.project_id = project_id
            return None if before is None else before.name

    def delete(self, analysis_id: int) -> None:
        """Delete an analysis, and any input file no other analysis refers to."""
        self._check_id(analysis_id)
        with self._guard(f"delete analysis {analysis_id}"), self._sessions.begin() as session:
            if session.get(Analysis, analysis_id) is None:
                raise NotFoundError(f"no analysis with id {analysis_id} in {self._shown}")
            hashes = session.scalars(
                select(AnalysisInput.sha256).where(AnalysisInput.analysis_id == analysis_id)
            ).all()
            session.execute(delete(AnalysisInput).where(AnalysisInput.analysis_id == analysis_id))
            session.execute(delete(Analysis).where(Analysis.id == analysis_id))
            still_used = exists().where(AnalysisInput.sha256 == InputFile.sha256)
            session.execute(
                delete(InputFile)
                .where(InputFile.sha256.in_(hashes), ~still_used)
                .execution_options(synchronize_session=False)
            )
