"""The content-addressed cache of finished work (:mod:`cxcr4lab.core.cache`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcr4lab.core import cache as cache_module
from cxcr4lab.core.cache import CACHE_ENV, Cache, cache_folder, cache_root, code_digest, open_cache


def test_values_come_back_by_key(tmp_path: Path) -> None:
    with Cache(tmp_path / "c") as cache:
        key = Cache.key("analysis", "binding", b"\x00bytes")
        assert cache.get(key) is None
        cache.put(key, b"value")
        assert cache.get(key) == b"value"
    with Cache(tmp_path / "c") as again:  # kept on disk, for the next process
        assert again.get(key) == b"value"


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=4), st.data())
def test_keys_differ_when_any_part_or_the_split_differs(
    parts: list[bytes], data: st.DataObject
) -> None:
    key = Cache.key(*parts)
    assert key == Cache.key(*parts)  # a pure function of its parts
    joined = b"".join(parts)
    if len(parts) > 1:  # the same bytes split otherwise is another key
        assert Cache.key(joined) != key
    i = data.draw(st.integers(0, len(parts) - 1))
    changed = [*parts]
    changed[i] = changed[i] + b"!"
    assert Cache.key(*changed) != key


def test_the_code_digest_covers_the_package_files(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = code_digest()
    assert len(digest) == 64 and digest == code_digest()
    seen: list[Path] = []
    real = cache_module._files

    def spy(folder: Path) -> list[Path]:
        found = list(real(folder))
        seen.extend(found)
        return found

    monkeypatch.setattr(cache_module, "_files", spy)
    code_digest.cache_clear()
    try:
        assert code_digest() == digest
    finally:
        code_digest.cache_clear()
    names = {p.name for p in seen}
    assert {"cache.py", "report.html.j2"} <= names  # code and templates
    assert not any(p.suffix == ".pyc" for p in seen)


def test_the_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert cache_folder() == tmp_path / "here"
    monkeypatch.setenv(CACHE_ENV, "  ")
    assert cache_folder() == cache_root() / "work"
    monkeypatch.setenv("CXCR4LAB_CACHE", str(tmp_path / "root"))
    assert cache_root() == tmp_path / "root" / "cxcr4lab"


def test_a_file_where_the_folder_should_be_leaves_the_cache_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert open_cache(blocker) is None


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    with Cache(tmp_path / "c") as cache:
        key = Cache.key("x")
        cache.put(key, b"v" * 100_000)  # large values live in files of their own
        for f in (tmp_path / "c").rglob("*.val"):
            f.unlink()
        assert cache.get(key) is None
