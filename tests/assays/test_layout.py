"""Plate layouts (wellmap TOML): roles, compounds, concentrations in mol/L, and bad layouts."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from cxcr4lab.assays.layout import ROLE_ALIASES, read_layout, read_layout_bytes
from cxcr4lab.core.errors import InputError, UnitError

BINDING_96 = """
[expt]
plate = 96

[col.1]
role = "total"

[col.12]
role = "nsb"

[row.A-D]
compound = "balixafortide"

[row.E-H]
compound = "plerixafor"

[col.2-11]
role = "sample"

[col.2]
conc = "1000 nM"

[col.3]
conc = "100 nM"

[col.4]
conc = "10 nM"

[col.5]
conc = "1 nM"

[col.6]
conc = "0.1 nM"

[col.7]
conc = "3 µM"

[col.8]
conc = "3 uM"

[col.9]
conc = "3 μM"

[col.10]
conc = 250
conc_unit = "pM"

[col.11]
conc = "0.5 mM"
"""


def write(tmp_path: Path, text: str, name: str = "layout.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def row_of(layout, well: str) -> dict:
    hit = layout.table[layout.table["well"] == well]
    assert len(hit) == 1, well
    return hit.iloc[0].to_dict()


def layout_error(tmp_path: Path, text: str, name: str = "bad.toml", **kwargs) -> InputError:
    path = write(tmp_path, text, name)
    with pytest.raises(InputError) as err:
        read_layout(path, **kwargs)
    assert name in str(err.value)
    return err.value


# --- good layouts ------------------------------------------------------------------------------


def test_binding_96_layout(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path, BINDING_96, "plate96.toml"))

    assert layout.source == "plate96.toml"
    assert layout.format.wells == 96
    assert len(layout.table) == 96
    assert set(layout.table["role"]) == {"total", "nsb", "sample"}
    assert len(layout.wells("total")) == 8
    assert len(layout.wells("nsb")) == 8
    assert len(layout.wells("sample")) == 80
    assert row_of(layout, "A1")["role"] == "total"
    assert math.isnan(row_of(layout, "A1")["conc_molar"])
    assert row_of(layout, "H12")["role"] == "nsb"

    b3 = row_of(layout, "B3")
    assert (b3["role"], b3["compound"], b3["row"], b3["col"]) == ("sample", "balixafortide", "B", 3)
    assert b3["conc_molar"] == pytest.approx(100e-9, rel=1e-12)
    assert row_of(layout, "F2")["compound"] == "plerixafor"
    expected_molar = {
        2: 1e-6,
        3: 1e-7,
        4: 1e-8,
        5: 1e-9,
        6: 1e-10,
        7: 3e-6,
        8: 3e-6,
        9: 3e-6,
        10: 250e-12,
        11: 0.5e-3,
    }
    for col, molar in expected_molar.items():
        assert row_of(layout, f"C{col}")["conc_molar"] == pytest.approx(molar, rel=1e-12), col
    layout.require_roles(("total", "nsb", "sample"), assay="binding")


def test_384_layout_inferred_from_its_wells(tmp_path: Path) -> None:
    text = """
[well.A1]
role = "total"

[well.P24]
role = "nsb"

[block.2x2.C3]
role = "sample"
compound = "motixafortide"
conc = "10 nM"
"""
    layout = read_layout(write(tmp_path, text))
    assert layout.format.wells == 384
    assert set(layout.wells("sample")["well"]) == {"C3", "C4", "D3", "D4"}


def test_small_layout_on_a_stated_384_plate(tmp_path: Path) -> None:
    text = '[expt]\nplate = 384\n\n[well.A1]\nrole = "total"\n\n[well.B1]\nrole = "nsb"\n'
    layout = read_layout(write(tmp_path, text))
    assert layout.format.wells == 384


@pytest.mark.parametrize(("written", "role"), sorted(ROLE_ALIASES.items()))
def test_role_aliases(tmp_path: Path, written: str, role: str) -> None:
    text = f'[well.A1]\nrole = "{written.upper()}"\ncompound = "x"\nconc = "1 nM"\n\n[well.B2]\nrole = "empty"\n'
    layout = read_layout(write(tmp_path, text))
    assert row_of(layout, "A1")["role"] == role
    assert row_of(layout, "B2")["role"] == "empty"
    assert "B2" not in set(layout.wells_used()["well"])


def test_wells_without_a_role_are_not_used(tmp_path: Path) -> None:
    text = '[well.A1]\nrole = "total"\n\n[well.A2]\ncompound = "x"\n'
    layout = read_layout(write(tmp_path, text))
    assert row_of(layout, "A2")["role"] == "empty"
    assert list(layout.wells_used()["well"]) == ["A1"]


def test_mass_concentration_with_a_molecular_weight(tmp_path: Path) -> None:
    text = '[well.A1]\nrole = "sample"\ncompound = "CXCL12"\nconc = "100 ng/mL"\n'
    asked: list[str] = []

    def mw(name: str) -> float | None:
        asked.append(name)
        return 7963.5 if name == "CXCL12" else None

    layout = read_layout(write(tmp_path, text), mw_lookup=mw)
    # 100 ng/mL = 100e-9 g / 1e-3 L = 1e-4 g/L; / 7963.5 g/mol = 1.2557e-8 mol/L
    assert row_of(layout, "A1")["conc_molar"] == pytest.approx(1e-4 / 7963.5, rel=1e-12)
    assert asked == ["CXCL12"]


def test_excluded_wells_keep_their_reason(tmp_path: Path) -> None:
    text = '[well.A1]\nrole = "total"\n\n[well.A2]\nrole = "total"\nexclude = "bubble"\n'
    layout = read_layout(write(tmp_path, text))
    assert row_of(layout, "A2")["exclude"] == "bubble"
    assert pd.isna(row_of(layout, "A1")["exclude"])
    assert list(layout.wells("total")["well"]) == ["A1"]  # excluded wells are not controls
    assert set(layout.wells_used()["well"]) == {"A1", "A2"}  # but they are kept


def test_read_layout_bytes_names_the_upload(tmp_path: Path) -> None:
    layout = read_layout_bytes(BINDING_96.encode("utf-8"), "upload.toml")
    assert layout.source == "upload.toml"
    assert layout.format.wells == 96


def test_require_roles_names_the_missing_role(tmp_path: Path) -> None:
    text = (
        '[well.A1]\nrole = "total"\n\n[well.A2]\nrole = "sample"\ncompound = "x"\nconc = "1 nM"\n'
    )
    layout = read_layout(write(tmp_path, text, "nonsb.toml"))
    with pytest.raises(InputError) as err:
        layout.require_roles(("total", "nsb", "sample"), assay="binding")
    assert "nonsb.toml" in str(err.value)
    assert "'nsb'" in str(err.value)


# --- bad layouts ---------------------------------------------------------------------------------


def test_unknown_role(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.A1]\nrole = "total"\n\n[well.C7]\nrole = "positive"\n')
    assert "well C7" in str(err)
    assert "positive" in str(err)


def test_sample_without_concentration(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.B4]\nrole = "sample"\ncompound = "plerixafor"\n')
    assert "well B4" in str(err)
    assert "conc" in str(err)


def test_sample_without_compound(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.D2]\nrole = "sample"\nconc = "1 nM"\n')
    assert "well D2" in str(err)
    assert "compound" in str(err)


def test_concentration_without_unit(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.E5]\nrole = "sample"\ncompound = "x"\nconc = 10\n')
    assert isinstance(err, UnitError)
    assert "well E5" in str(err)
    assert "unit" in str(err)


def test_concentration_text_without_unit(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.E6]\nrole = "sample"\ncompound = "x"\nconc = "10"\n')
    assert "well E6" in str(err)


def test_unknown_unit(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.F1]\nrole = "sample"\ncompound = "x"\nconc = "5 flurbs"\n')
    assert isinstance(err, UnitError)
    assert "well F1" in str(err)
    assert "flurbs" in str(err)


def test_not_a_concentration(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.F2]\nrole = "sample"\ncompound = "x"\nconc = "5 mg"\n')
    assert "well F2" in str(err)


def test_negative_concentration(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.G3]\nrole = "sample"\ncompound = "x"\nconc = "-1 nM"\n')
    assert "well G3" in str(err)
    assert "-1" in str(err)


def test_mass_concentration_without_molecular_weight(tmp_path: Path) -> None:
    text = '[well.H8]\nrole = "sample"\ncompound = "unknown peptide"\nconc = "100 ng/mL"\n'
    err = layout_error(tmp_path, text)
    assert "well H8" in str(err)
    assert "molecular weight" in str(err)
    err = layout_error(tmp_path, text, mw_lookup=lambda name: None)
    assert "well H8" in str(err)


def test_invalid_toml(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[well.A1\nrole = "total"\n', name="broken.toml")
    assert "TOML" in str(err)


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'[well.A1]\nrole = "\xff"\n')
    with pytest.raises(InputError, match=r"latin\.toml"):
        read_layout(path)


def test_stated_96_plate_with_wells_beyond_h12(tmp_path: Path) -> None:
    text = '[expt]\nplate = 96\n\n[well.A1]\nrole = "total"\n\n[well.I13]\nrole = "nsb"\n'
    err = layout_error(tmp_path, text)
    assert "96" in str(err)
    assert "plate" in str(err)


def test_stated_plate_that_is_not_a_format(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[expt]\nplate = 97\n\n[well.A1]\nrole = "total"\n')
    assert "97" in str(err)


def test_layout_without_any_role(tmp_path: Path) -> None:
    err = layout_error(tmp_path, '[row.A]\ncompound = "x"\n\n[col.1-3]\nconc = "1 nM"\n')
    assert "role" in str(err)


def test_layout_without_wells(tmp_path: Path) -> None:
    layout_error(tmp_path, "[expt]\nplate = 96\n", name="nowells.toml")


def test_wellmap_error_names_the_file_not_a_temporary_path(tmp_path: Path) -> None:
    err = layout_error(
        tmp_path, '[well.A1]\nrole = "total"\n\n[well.notawell]\nrole = "nsb"\n', name="odd.toml"
    )
    assert "tmp" not in str(err).replace(str(tmp_path), "")


def test_missing_layout_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="layout file: file not found") as err:
        read_layout(tmp_path / "absent.toml")
    assert "absent.toml" in str(err.value)


def test_a_24_well_plate_can_be_stated(tmp_path: Path) -> None:
    path = tmp_path / "transwell.toml"
    path.write_text(
        '[expt]\nplate = 24\n\n[well.A1]\nrole = "vehicle"\n\n[well.D6]\nrole = "blank"\n'
    )
    layout = read_layout(path)
    assert layout.format.wells == 24
    path.write_text('[expt]\nplate = 24\n\n[well.E1]\nrole = "vehicle"\n')
    with pytest.raises(InputError, match="beyond a 24-well plate"):
        read_layout(path)


def test_a_layout_read_again_comes_from_the_cache_unshared(tmp_path: Path) -> None:
    """The same bytes give an equal layout without wellmap's parse; each caller gets its own
    table, so changing one does not change the next."""
    from unittest import mock

    from cxcr4lab.assays.layout import read_layout_bytes

    text = b'[expt]\nplate = 96\n[well.A1]\nrole = "total"\n[well.A2]\nrole = "nsb"\n'
    first = read_layout_bytes(text, "cached.toml")
    with mock.patch("wellmap.load", side_effect=AssertionError("parsed again")):
        second = read_layout_bytes(text, "cached.toml")
    pd.testing.assert_frame_equal(first.table, second.table)
    assert first.table is not second.table and first.experiment == second.experiment
    second.table.loc[0, "role"] = "changed"
    assert read_layout_bytes(text, "cached.toml").table.loc[0, "role"] == "total"
    with pytest.raises(InputError, match=r"other\.toml"):  # a failure is never cached
        read_layout_bytes(b"[well.A1\n", "other.toml")
