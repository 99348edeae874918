"""Users, projects, API tokens and sessions in the store; analyses filed under projects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from cxcr4lab.core.errors import InputError, NotFoundError
from cxcr4lab.store import InputBlob, Store
from cxcr4lab.store._migrate import alembic_config

PLATE = InputBlob(name="plate.csv", role="plate", content=b"well,signal\nA1,1\n")


def test_passwords_are_argon2_hashes_that_argon2_itself_verifies(
    store: Store, store_url: str
) -> None:
    store.accounts.create_user("ada", "a long password")
    engine = create_engine(store_url)
    try:
        with engine.connect() as c:
            stored = c.scalar(text("SELECT password_hash FROM users WHERE name = 'ada'"))
    finally:
        engine.dispose()
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert "a long password" not in stored
    assert PasswordHasher().verify(stored, "a long password")  # the reference implementation


def test_authenticate(store: Store) -> None:
    ada = store.accounts.create_user("ada", "a long password")
    assert store.accounts.authenticate("ada", "a long password") == ada
    assert store.accounts.authenticate("ada", "a long passwore") is None
    assert store.accounts.authenticate("nobody", "a long password") is None


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("../etc", "a long password", "name"),
        ("", "a long password", "name"),
        ("x" * 65, "a long password", "name"),
        ("ada", "short", "password"),
    ],
)
def test_bad_users_are_refused_naming_the_field(
    store: Store, name: str, password: str, field: str
) -> None:
    with pytest.raises(InputError) as info:
        store.accounts.create_user(name, password)
    assert info.value.place.field == field


def test_duplicate_names_are_refused(store: Store) -> None:
    store.accounts.create_user("ada", "a long password")
    with pytest.raises(InputError, match="already exists"):
        store.accounts.create_user("ada", "another password")
    store.accounts.create_project("lab", "ada")
    with pytest.raises(InputError, match="already exists"):
        store.accounts.create_project("lab", "ada")


def test_projects_and_members(store: Store) -> None:
    for name in ("ada", "bob", "cy"):
        store.accounts.create_user(name, "a long password")
    lab = store.accounts.create_project("lab", "ada", ["bob"])
    ada, bob, cy = (store.accounts.user(n) for n in ("ada", "bob", "cy"))
    assert [(p.name, p.role) for p in store.accounts.projects_of(ada.id)] == [("lab", "owner")]
    assert [(p.name, p.role) for p in store.accounts.projects_of(bob.id)] == [("lab", "member")]
    assert store.accounts.projects_of(cy.id) == []
    store.accounts.add_member("lab", "cy")
    store.accounts.add_member("lab", "cy")  # twice is harmless
    assert [p.id for p in store.accounts.projects_of(cy.id)] == [lab.id]
    with pytest.raises(InputError) as info:
        store.accounts.create_project("other", "ada", ["nobody"])
    assert info.value.place.field == "member"
    with pytest.raises(NotFoundError):
        store.accounts.user("nobody")


def test_tokens_are_stored_only_as_hashes(store: Store, store_url: str) -> None:
    ada = store.accounts.create_user("ada", "a long password")
    token = store.accounts.create_token(ada.id, "script")
    assert store.accounts.user_for_token(token) == ada
    assert store.accounts.user_for_token(token + "x") is None
    engine = create_engine(store_url)
    try:
        with engine.connect() as c:
            stored = c.scalar(text("SELECT token_hash FROM api_tokens"))
    finally:
        engine.dispose()
    assert stored != token and token not in str(stored) and len(str(stored)) == 64


def test_sessions_expire_and_end(store: Store) -> None:
    ada = store.accounts.create_user("ada", "a long password")
    live = store.accounts.create_session(ada.id, timedelta(hours=1))
    dead = store.accounts.create_session(ada.id, timedelta(seconds=-1))
    assert store.accounts.user_for_session(live) == ada
    assert store.accounts.user_for_session(dead) is None
    store.accounts.end_session(live)
    assert store.accounts.user_for_session(live) is None


def test_analyses_filter_by_project(store: Store) -> None:
    store.accounts.create_user("ada", "a long password")
    one = store.accounts.create_project("one", "ada")
    two = store.accounts.create_project("two", "ada")
    ids = {
        p.id: store.save_analysis(
            kind="binding",
            title=f"in {p.name}",
            result={},
            parameters={},
            inputs=[PLATE],
            project_id=p.id,
        )
        for p in (one, two)
    }
    loose = store.save_analysis(kind="binding", title="loose", result={}, parameters={}, inputs=[])
    assert [s.id for s in store.list(project_ids=[one.id])] == [ids[one.id]]
    assert store.count(project_ids=[one.id, two.id]) == 2
    assert store.count(project_ids=[]) == 0
    assert store.count() == 3
    assert store.get(ids[two.id]).project_id == two.id
    assert store.get(loose).project_id is None
    assert [s.id for s in store.list(limit=1, offset=1)] == [ids[two.id]]


def test_out_of_range_ids_are_not_found(store: Store) -> None:
    for bad in (0, -1, 2**31, 2**70):
        with pytest.raises(NotFoundError):
            store.get(bad)
        with pytest.raises(NotFoundError):
            store.delete(bad)


def test_a_0001_database_with_data_upgrades_to_0002(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0001")
            connection.execute(
                text(
                    "INSERT INTO analyses (kind, title, created_at, software_version, "
                    "parameters_json, result_json) VALUES ('binding', 'old', "
                    "'2024-01-01 00:00:00', '0.0', '{}', '{}')"
                )
            )
    finally:
        engine.dispose()
    with Store(store_url) as store:
        [old] = store.list()
        assert (old.title, old.project_id) == ("old", None)
        user = store.accounts.create_user("ada", "a long password")
        assert store.accounts.projects_of(user.id) == []


def test_an_analysis_moves_into_a_project_in_one_transaction(
    store: Store, row_counts: Callable[[], dict[str, int]]
) -> None:
    store.accounts.create_user("ada", "a long password")
    one = store.accounts.create_project("one", "ada")
    two = store.accounts.create_project("two", "ada")
    loose = store.save_analysis(
        kind="binding", title="loose", result={}, parameters={}, inputs=[PLATE]
    )
    assert store.move_to_project(loose, one.id) is None
    assert store.get(loose).project_id == one.id
    assert store.move_to_project(loose, two.id) == "one"
    assert store.move_to_project(loose, two.id) == "two"  # already there: no change
    assert store.get(loose).project_id == two.id
    assert [s.id for s in store.list(project_ids=[two.id])] == [loose]
    counts = row_counts()
    with pytest.raises(NotFoundError, match=f"no analysis with id {loose + 1}"):
        store.move_to_project(loose + 1, one.id)
    with pytest.raises(NotFoundError, match="no project with id 999"):
        store.move_to_project(loose, 999)
    for bad in (0, 2**31):
        with pytest.raises(NotFoundError):
            store.move_to_project(bad, one.id)
    assert store.get(loose).project_id == two.id
    assert row_counts() == counts
