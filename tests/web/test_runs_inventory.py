"""``POST /api/runs/inventory``: an inventory TOML (a text input that is not a plate layout) and
the optional solubility CSV are uploaded and checked; other types and binary data under the
TOML's name are refused, naming the field; no aliquot flags are added (it is no layout)."""

from __future__ import annotations

from cxcr4lab.runs import KINDS, example_inputs
from tests.web.conftest import Lab


def test_an_inventory_toml_is_uploaded_and_checked(lab: Lab) -> None:
    example = KINDS["inventory"].examples[0]
    files = example_inputs(example)
    with lab.client("alice") as client:
        ok = client.post(
            "/api/runs/inventory", data={"project": "alpha", **example.options}, files=files
        )
        assert ok.status_code == 201, ok.text
        got = ok.json()
        stored = client.get(f"/api/analyses/{got['id']}").json()
        assert sorted(stored["input_names"]) == ["inventory.toml", "solubility.csv"]
        assert "aliquot_flags" not in stored["parameters"]
        states = {r["label"]: r["status"] for r in got["results"]}
        assert states == {
            "BAL-2026-001-A01": "ok",
            "BAL-2026-001-A02": "ok",
            "BAL-2026-001-A03": "expired",
            "BAL-2026-001-A04": "over-thawed",
        }
        # the TOML alone (the solubility file is optional)
        alone = client.post(
            "/api/runs/inventory",
            data={"project": "alpha", "on": "2026-12-03"},
            files={"inventory": files["inventory"]},
        )
        assert alone.status_code == 201, alone.text
        name, content = files["inventory"]
        for bad_name, bad, words in (
            ("inventory.csv", content, "file type .csv is not accepted here; use .toml"),
            ("inventory.toml", b"[[stock]]\x00" + content, "holds binary data"),
            ("inventory.toml", b"\xff\xfe" + content, "is not UTF-8 text"),
        ):
            refused = client.post(
                "/api/runs/inventory",
                data={"project": "alpha", "on": "2026-12-03"},
                files={"inventory": (bad_name, bad)},
            )
            assert refused.status_code == 422, bad_name
            assert words in refused.json()["detail"], refused.json()
            assert refused.json()["place"]["field"] == "inventory"
        future = client.post(
            "/api/runs/inventory",
            data={"project": "alpha", "on": "2026-12-03"},
            files={"inventory": (name, content.replace(b"2025-07-01", b"2099-07-01"))},
        )
        assert future.status_code == 422
        assert future.json()["place"] == {
            "file": "inventory.toml",
            "block": "[[stock]] #2",
            "field": "prepared_on",
        }
