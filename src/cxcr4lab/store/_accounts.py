"""Users, projects, memberships, API tokens and browser sessions of the web app.

Passwords are kept as argon2 hashes; API tokens and session secrets are random (256 bits) and
only their SHA-256 is kept, so a copy of the database gives no one a way in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.store._schema import ApiToken, Membership, Project, User, WebSession

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "Accounts",
    "ProjectInfo",
    "UserInfo",
    "check_password",
    "hash_secret",
    "valid_name",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password anyone has")
MIN_PASSWORD_LENGTH = 8
"""Shortest password accepted (characters)."""
MAX_PASSWORD_LENGTH = 1024
"""Longest password accepted (characters): hashing has a cost per byte."""
MIN_PASSWORD_SCORE = 3
"""Lowest zxcvbn strength score accepted (0-4; 3 means about 10^8 guesses or more)."""
_SCORED_CHARS = 72
"""zxcvbn scores the first 72 characters (its limit; its cost grows fast with length)."""


@dataclass(frozen=True)
class UserInfo:
    """A user as the app sees it (never the password hash)."""

    id: int
    name: str


@dataclass(frozen=True)
class ProjectInfo:
    """A project and the role (``"owner"`` or ``"member"``) a user has in it."""

    id: int
    name: str
    role: str


def valid_name(name: object, field: str) -> str:
    """``name`` if it is a valid user or project name (letters, digits, ``._-``; 1-64 chars).

    >>> valid_name("ada.lovelace", "name")
    'ada.lovelace'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"{name!r} is not a valid name: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field=field,
        )
    return name


def check_password(password: object, user_name: str = "") -> str:
    """``password`` if it may be used: at least :data:`MIN_PASSWORD_LENGTH` characters (at most
    :data:`MAX_PASSWORD_LENGTH`), not only whitespace, and not common or guessable: its zxcvbn
    score (which checks it against lists of common passwords, words, names, keyboard patterns,
    dates and the user's own name) must be at least :data:`MIN_PASSWORD_SCORE`. Any refusal is
    an :class:`InputError` naming the field ``password`` (never quoting the password).

    >>> check_password("correct horse battery")
    'correct horse battery'
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"must be at least {MIN_PASSWORD_LENGTH} characters long", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"must be at most {MAX_PASSWORD_LENGTH} characters long", field="password")
    if not password.strip():
        raise InputError("must not be only whitespace", field="password")
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    inputs = [user_name, "cxcr4lab", "cxcr4", "balixafortide"] if user_name else ["cxcr4lab"]
    verdict = zxcvbn(password[:_SCORED_CHARS], user_inputs=inputs)
    if int(verdict["score"]) < MIN_PASSWORD_SCORE:
        feedback = verdict.get("feedback") or {}
        hint = " ".join(
            str(s) for s in [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        ).strip()
        raise InputError(
            "is too common or easy to guess"
            + (f" ({hint})" if hint else "")
            + "; use a longer phrase of several unrelated words",
            field="password",
        )
    return password


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a random token or session secret: what the database keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class Accounts:
    """Account operations on a store's database (get one from :attr:`Store.accounts`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        guard: Callable[[str], AbstractContextManager[None]],
    ) -> None:
        self._sessions = sessions
        self._guard = guard

    # --- users ------------------------------------------------------------------------------
    def create_user(self, name: str, password: str) -> UserInfo:
        """A new user with an argon2-hashed password (rules: :func:`check_password`)."""
        valid_name(name, "name")
        check_password(password, name)
        user = User(name=name, password_hash=_HASHER.hash(password), created_at=_now())
        try:
            with self._guard(f"create user {name!r}"), self._sessions.begin() as session:
                if session.scalar(select(User.id).where(User.name == name)) is not None:
                    raise InputError(f"a user named {name!r} already exists", field="name")
                session.add(user)
                session.flush()
                return UserInfo(user.id, user.name)
        except IntegrityError:  # pragma: no cover - a race with another create of the same name
            raise InputError(f"a user named {name!r} already exists", field="name") from None

    def user(self, name: str) -> UserInfo:
        """The user of this name; :class:`NotFoundError` if there is none."""
        with self._guard(f"read user {name!r}"), self._sessions() as session:
            row = session.scalar(select(User).where(User.name == name))
        if row is None:
            raise NotFoundError(f"no user named {name!r}")
        return UserInfo(row.id, row.name)

    def authenticate(self, name: str, password: str) -> UserInfo | None:
        """The user if ``password`` is theirs, else None (same work either way)."""
        with self._guard("check a password"), self._sessions() as session:
            row = session.scalar(select(User).where(User.name == name))
        stored = _DUMMY_HASH if row is None else row.password_hash
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return None if row is None else UserInfo(row.id, row.name)

    # --- projects ---------------------------------------------------------------------------
    def create_project(self, name: str, owner: str, members: Sequence[str] = ()) -> ProjectInfo:
        """A new project owned by ``owner`` with ``members``; all users must exist."""
        valid_name(name, "name")
        with self._guard(f"create project {name!r}"), self._sessions.begin() as session:
            if session.scalar(select(Project.id).where(Project.name == name)) is not None:
                raise InputError(f"a project named {name!r} already exists", field="name")
            ids: dict[str, int] = {}
            for field, user_name in [("owner", owner), *(("member", m) for m in members)]:
                user_id = session.scalar(select(User.id).where(User.name == user_name))
                if user_id is None:
                    raise InputError(f"no user named {user_name!r}", field=field)
                ids.setdefault(user_name, user_id)
            project = Project(name=name, created_at=_now())
            session.add(project)
            session.flush()
            for user_name, user_id in ids.items():
                role = "owner" if user_name == owner else "member"
                session.add(Membership(project_id=project.id, user_id=user_id, role=role))
            return ProjectInfo(project.id, project.name, "owner")

    def add_member(self, project: str, user: str) -> None:
        """Make ``user`` a member of ``project`` (no change if they already are)."""
        with self._guard(f"add {user!r} to {project!r}"), self._sessions.begin() as session:
            project_id = session.scalar(select(Project.id).where(Project.name == project))
            if project_id is None:
                raise InputError(f"no project named {project!r}", field="project")
            user_id = session.scalar(select(User.id).where(User.name == user))
            if user_id is None:
                raise InputError(f"no user named {user!r}", field="member")
            if session.get(Membership, (project_id, user_id)) is None:
                session.add(Membership(project_id=project_id, user_id=user_id, role="member"))

    def project_id(self, name: str) -> int:
        """The id of the project of this name; :class:`NotFoundError` if there is none."""
        with self._guard(f"read project {name!r}"), self._sessions() as session:
            project_id = session.scalar(select(Project.id).where(Project.name == name))
        if project_id is None:
            raise NotFoundError(f"no project named {name!r}")
        return int(project_id)

    def project_names(self) -> list[str]:
        """Every project's name, in name order."""
        with self._guard("list projects"), self._sessions() as session:
            return list(session.scalars(select(Project.name).order_by(Project.name)))

    def projects_of(self, user_id: int) -> list[ProjectInfo]:
        """The projects a user belongs to, by name."""
        with self._guard("list projects"), self._sessions() as session:
            rows = session.execute(
                select(Project.id, Project.name, Membership.role)
                .join(Membership, Membership.project_id == Project.id)
                .where(Membership.user_id == user_id)
                .order_by(Project.name)
            ).all()
        return [ProjectInfo(i, n, r) for i, n, r in rows]

    # --- API tokens -------------------------------------------------------------------------
    def create_token(self, user_id: int, label: str = "api") -> str:
        """A new API token for the user; returned once, only its hash is stored."""
        valid_name(label, "label")
        token = "cx4_" + secrets.token_urlsafe(32)
        with self._guard("create an API token"), self._sessions.begin() as session:
            if session.get(User, user_id) is None:
                raise NotFoundError(f"no user with id {user_id}")
            session.add(
                ApiToken(
                    user_id=user_id, label=label, token_hash=hash_secret(token), created_at=_now()
                )
            )
        return token

    def user_for_token(self, token: str) -> UserInfo | None:
        """The user an API token belongs to, or None."""
        with self._guard("check an API token"), self._sessions() as session:
            row = session.execute(
                select(User.id, User.name)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == hash_secret(token))
            ).first()
        return None if row is None else UserInfo(row.id, row.name)

    # --- browser sessions -------------------------------------------------------------------
    def create_session(self, user_id: int, lifetime: timedelta) -> str:
        """A new login session; returns its secret (only the hash is stored)."""
        secret = secrets.token_urlsafe(32)
        now = _now()
        with self._guard("create a session"), self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(
                WebSession(
                    token_hash=hash_secret(secret),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return secret

    def user_for_session(self, secret: str) -> UserInfo | None:
        """The user of a live session, or None (unknown or expired)."""
        with self._guard("check a session"), self._sessions() as session:
            row = session.execute(
                select(User.id, User.name, WebSession.expires_at)
                .join(WebSession, WebSession.user_id == User.id)
                .where(WebSession.token_hash == hash_secret(secret))
            ).first()
        if row is None or row.expires_at <= _now():
            return None
        return UserInfo(row.id, row.name)

    def end_session(self, secret: str) -> None:
        """Log a session out (no error if it is already gone)."""
        with self._guard("end a session"), self._sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(secret)))
