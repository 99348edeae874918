"""20 parallel uploads + analyses against a real server: nothing lost, nothing half-written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text

from tests.web.conftest import LAYOUT, PLATE, Lab, upload

N_CLIENTS = 20
N_BAD = 4


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {
                "analyses": c.scalar(text("SELECT count(*) FROM analyses")) or 0,
                "links": c.scalar(text("SELECT count(*) FROM analysis_inputs")) or 0,
                "files": c.scalar(text("SELECT count(*) FROM input_files")) or 0,
                "unlinked": c.scalar(
                    text(
                        "SELECT count(*) FROM analyses a WHERE (SELECT count(*) FROM "
                        "analysis_inputs i WHERE i.analysis_id = a.id) <> 2"
                    )
                )
                or 0,
                "orphans": c.scalar(
                    text(
                        "SELECT count(*) FROM input_files f WHERE NOT EXISTS (SELECT 1 FROM "
                        "analysis_inputs i WHERE i.sha256 = f.sha256)"
                    )
                )
                or 0,
            }
    finally:
        engine.dispose()


def test_twenty_parallel_uploads_lose_nothing(lab: Lab) -> None:
    before = _counts(lab.database_url)
    bad_layout = ("broken.toml", LAYOUT[1] + b"\n[[[not toml")

    def one(i: int) -> tuple[int, int, int | None]:
        files = {"plate": PLATE, "layout": bad_layout if i < N_BAD else LAYOUT}
        with lab.client("alice" if i % 2 else "bob") as client:
            project = "alpha" if i % 2 else "beta"
            response = upload(client, project, title=f"parallel {i}", files=files)
        return i, response.status_code, response.json().get("id")

    with ThreadPoolExecutor(N_CLIENTS) as pool:
        results = list(pool.map(one, range(N_CLIENTS)))

    statuses = {i: status for i, status, _ in results}
    assert all(statuses[i] == 422 for i in range(N_BAD)), statuses
    assert all(statuses[i] == 201 for i in range(N_BAD, N_CLIENTS)), statuses
    ids = [aid for i, _, aid in results if i >= N_BAD]
    assert len(set(ids)) == N_CLIENTS - N_BAD

    after = _counts(lab.database_url)
    good = N_CLIENTS - N_BAD
    assert after["analyses"] - before["analyses"] == good
    assert after["links"] - before["links"] == 2 * good
    assert after["unlinked"] == 0 and after["orphans"] == 0
    # The same plate and layout bytes are stored once, however many saved them at once.
    assert after["files"] - before["files"] <= 2
    for user, project in (("alice", "alpha"), ("bob", "beta")):
        with lab.client(user) as client:
            titles = [
                item["title"]
                for item in client.get("/api/analyses", params={"per_page": 200}).json()["items"]
            ]
        mine = sorted(
            f"parallel {i}" for i in range(N_BAD, N_CLIENTS) if (i % 2 == 1) == (user == "alice")
        )
        assert sorted(t for t in titles if t.startswith("parallel ")) == mine, project
