"""The in-vivo study inputs: animal tables, the design TOML and Living Image exports."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcr4lab.core.errors import InputError, UnitError
from cxcr4lab.preclinical.study import (
    AnimalTable,
    StudyDesign,
    build_animal_table,
    caliper_volume,
    read_animal_table,
    read_design,
    read_living_image,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "invivo"
GRWTH_COLUMNS = {
    "subject": "animal_id",
    "Time": "day",
    "Treatment": "group",
    "TumorVolume": "volume_mm3",
}

DESIGN = """
name = "PC-3-luc intratibial"
model = "PC-3-luc cells intratibial, male SCID mice"
control = "vehicle"
randomisation_day = 0
caliper_formula = "L*W^2/2"

[endpoints]
max_tumour_volume_mm3 = 1500
max_body_weight_loss_pct = 20

[[groups]]
name = "vehicle"
n = 10
treatments = [{ compound = "vehicle", route = "s.c.", schedule = "BID" }]

[[groups]]
name = "docetaxel"
treatments = [{ compound = "docetaxel", dose = "5 mg/kg", route = "i.p.", schedule = "weekly" }]

[[groups]]
name = "balixafortide"
treatments = [{ compound = "balixafortide", dose = "20 mg/kg", route = "sc", schedule = "bid" }]

[[groups]]
name = "combination"
treatments = [
  { compound = "docetaxel", dose = "5 mg/kg", route = "ip", schedule = "QW" },
  { compound = "balixafortide", dose = "20000 ug/kg", route = "subcutaneous", schedule = "twice daily" },
]
"""


def _csv(text: str) -> bytes:
    return "\n".join(line.strip() for line in text.strip().splitlines()).encode() + b"\n"


def _table(text: str, **kw: object) -> AnimalTable:
    return read_animal_table(_csv(text), "study.csv", **kw)  # type: ignore[arg-type]


def _grwth() -> AnimalTable:
    raw = (DATA / "grwth_data.csv").read_bytes()
    return read_animal_table(raw, "grwth_data.csv", columns=GRWTH_COLUMNS)


# --- closed forms ---------------------------------------------------------------------------------


def test_caliper_formulas_by_hand() -> None:
    # L = 10 mm, W = 6 mm: L W^2 / 2 = 180; pi/6 L W^2 = 60 pi; pi/6 (L W)^1.5 = pi/6 * 60^1.5.
    assert caliper_volume(10.0, 6.0) == 180.0
    assert caliper_volume(10.0, 6.0, "pi/6*L*W^2") == pytest.approx(60 * math.pi, rel=1e-15)
    assert caliper_volume(10.0, 6.0, "ellipsoid") == pytest.approx(60 * math.pi, rel=1e-15)
    assert caliper_volume(10.0, 6.0, "pi/6*(L*W)^1.5") == pytest.approx(
        math.pi / 6 * 60**1.5, rel=1e-15
    )
    with pytest.raises(InputError, match="unknown caliper formula"):
        caliper_volume(10.0, 6.0, "L*W*H")


def test_derived_measures_by_hand() -> None:
    t = _table(
        """
        animal_id,group,day,length_mm,width_mm,total_flux_p_s,body_weight_g
        M1,vehicle,0,10,6,1e6,25.0
        M1,vehicle,7,12,8,1e7,24.0
        M1,vehicle,14,14,10,1e8,19.5
        """
    )
    # V = L W^2 / 2: 180, 384, 700 mm^3; RTV = V / 180; flux x10 per week; BW 25 -> 24 -> 19.5 g.
    assert t.volume_mm3 == (180.0, 384.0, 700.0)
    assert t.rtv == pytest.approx((1.0, 384 / 180, 700 / 180), rel=1e-15)
    assert t.log10_volume == pytest.approx(tuple(math.log10(v) for v in (180, 384, 700)))
    assert t.relative_flux == pytest.approx((1.0, 10.0, 100.0))
    assert t.log10_flux == pytest.approx((6.0, 7.0, 8.0))
    assert t.body_weight_change_pct == pytest.approx((0.0, -4.0, -22.0))
    # A loss of 22 % >= 20 % is a humane endpoint on day 14, named with its reason.
    assert t.humane[:2] == ("", "")
    assert "body-weight loss 22.0 % >= 20 %" in t.humane[2]
    assert t.animals[0].endpoint_day == 14.0
    assert t.caliper_formula == "L*W^2/2" and "L x W^2 / 2" in t.formula_text
    assert t.baseline_day is None  # no design, no baseline_day: each animal's first day


def test_formula_and_endpoints_are_settings() -> None:
    t = _table(
        """
        animal_id,group,day,length_mm,width_mm
        M1,vehicle,0,10,6
        M1,vehicle,7,20,12
        """,
        caliper_formula="pi/6*L*W^2",
        max_tumour_volume_mm3=1000,
    )
    assert t.volume_mm3 == pytest.approx((60 * math.pi, math.pi / 6 * 20 * 144))
    assert "tumour volume 1508 mm^3 >= 1000 mm^3" in t.humane[1]


def test_units_in_headers_are_converted_by_pint() -> None:
    t = _table(
        """
        Mouse,Arm,Day,Volume [cm3],Body weight (kg),Total Flux [p/s]
        M1,vehicle,0,0.2,0.025,5e5
        M1,vehicle,7,0.45,0.0245,1e6
        """
    )
    assert t.volume_mm3 == pytest.approx((200.0, 450.0))
    assert t.body_weight_g == pytest.approx((25.0, 24.5))
    assert t.total_flux_p_s == (5e5, 1e6)


def test_public_growth_study_reads_with_a_column_mapping() -> None:
    t = _grwth()
    assert len(t.day) == 352 and len(t.animals) == 32
    assert t.groups == ("Control", "DrugA", "DrugB", "Combination")
    assert t.days == tuple(float(d) for d in range(0, 31, 3))
    assert t.flags == ()
    s = t.summary()
    row = s[(s["group"] == "Control") & (s["day"] == 30)].iloc[0]
    raw = pd.read_csv(DATA / "grwth_data.csv")
    expected = raw[(raw.Treatment == "Control") & (raw.Time == 30)].TumorVolume
    assert row["n"] == 8
    assert row["mean volume (mm^3)"] == pytest.approx(expected.mean(), rel=1e-12)
    assert row["SD volume (mm^3)"] == pytest.approx(expected.std(ddof=1), rel=1e-12)


def test_json_round_trip() -> None:
    t = _grwth()
    d = json.loads(json.dumps(t.to_dict()))
    assert AnimalTable.from_dict(d).to_dict() == d


def test_xlsx_and_tsv_read_like_csv() -> None:
    frame = pd.DataFrame(
        {
            "animal_id": ["M1", "M1", "M2", "M2"],
            "group": ["vehicle"] * 4,
            "day": [0, 7, 0, 7],
            "volume_mm3": [100.0, 200.0, 120.0, 260.0],
        }
    )
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    t = read_animal_table(buf.getvalue(), "study.xlsx")
    assert t.volume_mm3 == (100.0, 200.0, 120.0, 260.0) and t.row == (2, 3, 4, 5)
    tsv = frame.to_csv(sep="\t", index=False).encode()
    assert read_animal_table(tsv, "study.tsv").rtv == t.rtv


# --- the design -----------------------------------------------------------------------------------


def test_design_of_the_bone_metastasis_study() -> None:
    d = read_design(DESIGN, "pc3.toml")
    assert d.group_names == ("vehicle", "docetaxel", "balixafortide", "combination")
    assert d.control == "vehicle" and d.endpoints.max_tumour_volume_mm3 == 1500
    combo = d.group("combination")
    assert [t.describe() for t in combo.treatments] == [
        "docetaxel 5 mg/kg i.p. weekly",
        "balixafortide 20 mg/kg s.c. twice daily",  # 20000 ug/kg converted by pint
    ]
    assert d.group("vehicle").treatments[0].is_vehicle
    assert d.group("vehicle").n_planned == 10
    assert StudyDesign.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    s = d.summary()
    assert list(s["dose unit"]) == ["", "mg/kg", "mg/kg", "mg/kg", "mg/kg"]


def test_administrations_follow_the_schedule() -> None:
    d = read_design(DESIGN, "pc3.toml")
    doce, bali = d.group("combination").treatments
    assert doce.administrations(28) == (0.0, 7.0, 14.0, 21.0, 28.0)
    assert bali.administrations(1.9) == (0.0, 0.5, 1.0, 1.5)


@pytest.mark.parametrize(
    ("edit", "match", "field"),
    [
        ('dose = "5 mg/kg"', "dose = 5", "groups[2].treatments[1].dose"),
        ('route = "i.p."', 'route = "intravenously"', "groups[2].treatments[1].route"),
        ('schedule = "weekly"', 'schedule = "fortnightly-ish"', "groups[2].treatments[1].schedule"),
        ('control = "vehicle"', 'control = "saline"', "control"),
        ("max_body_weight_loss_pct = 20", "max_body_weight_loss_pc = 20", "endpoints"),
        ('dose = "5 mg/kg"', 'dose = "5 mL"', "groups[2].treatments[1].dose"),
    ],
)
def test_bad_designs_name_the_field(edit: str, match: str, field: str) -> None:
    text = DESIGN.replace(edit, match, 1)
    with pytest.raises(InputError) as err:
        read_design(text, "pc3.toml")
    assert err.value.place.file == "pc3.toml"
    assert err.value.place.field == field


def test_dose_without_unit_says_so() -> None:
    text = DESIGN.replace('dose = "5 mg/kg"', "dose = 5", 1)
    with pytest.raises(UnitError, match="has no unit"):
        read_design(text, "pc3.toml")


def test_design_checks_the_table_groups() -> None:
    d = read_design(DESIGN, "pc3.toml")
    with pytest.raises(InputError, match="not in the design") as err:
        _table(
            """
            animal_id,group,day,volume_mm3
            M1,vehicle,0,100
            M2,saline,0,100
            """,
            design=d,
        )
    assert err.value.place.row == 3
    t = _table(
        """
        animal_id,group,day,volume_mm3
        M1,vehicle,0,100
        M1,vehicle,7,1600
        M2,docetaxel,0,100
        """,
        design=d,
    )
    assert t.control == "vehicle" and t.baseline_day == 0.0
    assert "tumour volume 1600 mm^3 >= 1500 mm^3" in t.humane[1]
    assert any("without animals: balixafortide, combination" in f for f in t.flags)
    assert any("fewer than 3" in f for f in t.flags)


# --- bad tables -----------------------------------------------------------------------------------


def test_an_animal_in_two_groups_is_refused() -> None:
    with pytest.raises(InputError) as err:
        _table(
            """
            animal_id,group,day,volume_mm3
            M1,vehicle,0,100
            M1,combination,7,150
            """
        )
    e = err.value
    assert (e.place.file, e.place.row, e.place.field) == ("study.csv", 3, "animal M1")
    assert "'vehicle' (row 2)" in e.message and "'combination'" in e.message


def test_a_repeated_day_is_refused() -> None:
    with pytest.raises(InputError, match=r"day 7 is given twice .* \(rows 3 and 4\)") as err:
        _table(
            """
            animal_id,group,day,volume_mm3
            M1,vehicle,0,100
            M1,vehicle,7,150
            M1,vehicle,7,160
            """
        )
    assert err.value.place.field == "animal M1"


def test_days_out_of_order_are_sorted_and_flagged() -> None:
    t = _table(
        """
        animal_id,group,day,volume_mm3
        M1,vehicle,0,100
        M1,vehicle,14,300
        M1,vehicle,7,150
        """
    )
    assert t.day == (0.0, 7.0, 14.0) and t.row == (2, 4, 3)
    assert any("day 7 (row 4) comes after day 14 (row 3)" in f for f in t.flags)


@pytest.mark.parametrize(
    ("cell", "column", "match"),
    [
        ("-5", "volume_mm3", "tumour volume -5 mm^3 is negative"),
        ("-1e5", "total_flux_p_s", "total flux -100000 p/s is negative"),
        ("abc", "volume_mm3", "'abc' is not a number"),
        ("5e6", "volume_mm3", "implausible"),
    ],
)
def test_bad_values_name_row_column_and_animal(cell: str, column: str, match: str) -> None:
    other = "total_flux_p_s" if column == "volume_mm3" else "volume_mm3"
    text = f"animal_id,group,day,{column},{other}\nM1,vehicle,0,100,100\nM2,vehicle,0,{cell},100\n"
    with pytest.raises(InputError, match=re.escape(match)) as err:
        read_animal_table(text.encode(), "study.csv")
    e = err.value
    assert (e.place.row, e.place.column, e.place.field) == (3, column, "animal M2")


def test_small_groups_are_flagged_and_analysed() -> None:
    t = _table(
        """
        animal_id,group,day,volume_mm3
        M1,vehicle,0,100
        M2,vehicle,0,110
        M3,vehicle,0,120
        M4,drug,0,100
        M5,drug,0,90
        """
    )
    assert t.flags == ("group drug has 2 animal(s), fewer than 3",)
    assert len(t.animals) == 5


def test_missing_baseline_is_an_error_naming_the_animal() -> None:
    text = """
        animal_id,group,day,volume_mm3
        M1,vehicle,0,100
        M1,vehicle,7,200
        M2,vehicle,7,180
        M2,vehicle,14,300
        """
    with pytest.raises(InputError, match="no row on the baseline day 0") as err:
        _table(text, baseline_day=0)
    assert (err.value.place.row, err.value.place.field) == (4, "animal M2")
    t = _table(text, baseline_day=0, missing_baseline="exclude")
    assert set(t.animal_id) == {"M1"}
    assert t.excluded[0].animal_id == "M2" and "baseline day 0" in t.excluded[0].reason
    assert any("M2 (vehicle) excluded" in f for f in t.flags)
    assert t.fates()["status"].tolist() == ["alive", "excluded"]


def test_a_blank_baseline_volume_is_a_missing_baseline() -> None:
    with pytest.raises(InputError, match="baseline tumour volume on day 0 is missing"):
        _table(
            """
            animal_id,group,day,volume_mm3,body_weight_g
            M1,vehicle,0,,25
            M1,vehicle,7,200,25
            """
        )


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("animal_id,group,day,volume", "column 'volume' .* has no unit"),
        ("animal_id,group,day,TumorVolume", "column 'TumorVolume' .* has no unit"),
        ("animal_id,group,Time,volume_mm3", "column 'Time' has no unit of days"),
        ("animal_id,group,day,body_weight", "'body_weight' .* has no unit"),
        ("animal_id,group,day,volume [mL/min]", "is not a unit of tumour volume"),
        ("animal_id,group,day,total_flux_counts", "total flux unit 'counts' is not p/s"),
    ],
)
def test_measures_without_units_are_refused(header: str, match: str) -> None:
    with pytest.raises(UnitError, match=match) as err:
        read_animal_table(f"{header}\nM1,vehicle,0,100\n".encode(), "study.csv")
    assert err.value.place.column is not None


def test_public_file_without_mapping_is_refused_for_its_units() -> None:
    with pytest.raises(UnitError, match="'Time' has no unit of days"):
        read_animal_table((DATA / "grwth_data.csv").read_bytes(), "grwth_data.csv")


def test_fates_carry_dropouts_and_deaths_with_reasons() -> None:
    t = _table(
        """
        animal_id,group,day,volume_mm3,status,reason
        M1,vehicle,0,100,,
        M1,vehicle,7,200,dropout,fighting wound
        M2,vehicle,0,100,alive,
        M2,vehicle,7,300,euthanized,tumour ulcerated
        M3,vehicle,0,100,,
        M3,vehicle,7,,found dead,
        """
    )
    fates = {a.animal_id: a for a in t.animals}
    assert (fates["M1"].status, fates["M1"].reason) == ("dropout", "fighting wound")
    assert (fates["M2"].status, fates["M2"].reason) == ("euthanised", "tumour ulcerated")
    assert fates["M3"].status == "dead" and fates["M3"].last_day == 7
    # Nothing is carried forward: M3's day-7 volume stays missing.
    assert math.isnan(t.volume_mm3[5])


def test_rows_after_a_death_are_refused() -> None:
    with pytest.raises(InputError, match=r"is dead on day 7 .* later row on day 14") as err:
        _table(
            """
            animal_id,group,day,volume_mm3,status
            M1,vehicle,0,100,
            M1,vehicle,7,200,dead
            M1,vehicle,14,300,
            """
        )
    assert err.value.place.row == 4


def test_unknown_status_is_refused() -> None:
    with pytest.raises(InputError, match="status 'asleep' is not one of"):
        _table("animal_id,group,day,volume_mm3,status\nM1,vehicle,0,100,asleep")


def test_width_larger_than_length_is_swapped_and_flagged() -> None:
    t = _table("animal_id,group,day,length_mm,width_mm\nM1,vehicle,0,6,10")
    assert t.volume_mm3 == (180.0,) and (t.length_mm, t.width_mm) == ((10.0,), (6.0,))
    assert any("swapped" in f for f in t.flags)


def test_given_volume_that_disagrees_with_the_caliper_is_flagged() -> None:
    t = _table("animal_id,group,day,length_mm,width_mm,volume_mm3\nM1,vehicle,0,10,6,250")
    assert t.volume_mm3 == (250.0,)
    assert any("differs from L*W^2/2 = 180 mm^3" in f for f in t.flags)


def test_zero_volume_is_floored_on_log_scales() -> None:
    t = _table("animal_id,group,day,volume_mm3\nM1,vehicle,0,100\nM1,vehicle,7,0")
    assert t.log10_volume == (2.0, 0.0) and t.rtv == (1.0, 0.0)
    assert any("below 1 mm^3 set to 1 mm^3" in f for f in t.flags)


def test_not_a_table() -> None:
    for content, name in ((b"", "a.csv"), (b"\x00\x01\x02", "a.csv"), (b"PK\x03\x04", "a.xlsx")):
        with pytest.raises(InputError):
            read_animal_table(content, name)


# --- Living Image ---------------------------------------------------------------------------------

LIVING_IMAGE = (
    "Image Number,ROI,Image Layer,Total Flux [p/s],Avg Radiance [p/s/cm²/sr],Stdev Radiance,"
    "Min Radiance,Max Radiance,ROI Label,Experiment,Time Point,Group\n"
    "JD20230301101500_001,ROI 1,Overlay,1.20E+06,2.10E+04,3.2E+03,5.0E+02,9.1E+04,M1,PC3,Day 0,vehicle\n"
    "JD20230301101500_001,ROI 2,Overlay,2.00E+06,3.50E+04,3.9E+03,6.0E+02,9.9E+04,M2,PC3,Day 0,vehicle\n"
    "JD20230301101500_001,ROI 3,Overlay,4.00E+03,1.00E+02,1.0E+01,1.0E+00,2.0E+02,BKG,PC3,Day 0,\n"
    "JD20230308101500_001,ROI 1,Overlay,9.60E+06,1.70E+05,3.2E+04,5.0E+03,9.1E+05,M1,PC3,Day 7,vehicle\n"
    "JD20230308101500_001,ROI 2,Overlay,1.20E+07,2.10E+05,3.9E+04,6.0E+03,9.9E+05,M2,PC3,Day 7,vehicle\n"
)


def test_living_image_export_becomes_the_tidy_table() -> None:
    li = read_living_image(LIVING_IMAGE.encode(), "ivis.csv")
    assert li.animal_id == ("M1", "M2", "M1", "M2")
    assert li.day == (0.0, 0.0, 7.0, 7.0)
    assert li.total_flux_p_s == (1.2e6, 2e6, 9.6e6, 1.2e7)
    assert li.avg_radiance_p_s_cm2_sr[0] == 2.1e4
    assert li.row == (2, 3, 5, 6)
    assert li.flags == ("1 background ROI(s) skipped",)
    t = li.animal_table()  # rows by animal, then day
    assert t.animal_id == ("M1", "M1", "M2", "M2") and t.row == (2, 5, 3, 6)
    assert t.relative_flux == pytest.approx((1.0, 8.0, 1.0, 6.0))
    assert t.log10_flux[1] == pytest.approx(math.log10(9.6e6))
    assert t.source == "ivis.csv"


def test_living_image_days_from_dates_and_a_preamble() -> None:
    text = (
        "Living Image 4.7.3 measurements\tuser JD\n"
        "\n"
        "Image Number\tROI\tTotal Flux [p/s]\tAvg Radiance [p/s/cm^2/sr]\tROI Label\tDate and Time\n"
        "JD20230301101500_001\tROI 1\t1.0E6\t1.0E4\tM1\t03/01/2023 10:15:00\n"
        "JD20230315101500_001\tROI 1\t5.0E6\t5.0E4\tM1\t03/15/2023 10:15:00\n"
        "JD20230322101500_001\tROI 1\t7.0E6\t7.0E4\tM1\t\n"
    )
    li = read_living_image(
        text.encode(), "ivis.txt", start_date=date(2023, 2, 28), groups={"M1": "vehicle"}
    )
    # 1 March is day 1 after 28 February; the last row's date comes from its image number.
    assert li.day == (1.0, 15.0, 22.0)
    assert li.group == ("vehicle",) * 3
    assert li.row == (4, 5, 6)


def test_living_image_time_points_before_randomisation() -> None:
    text = (
        "ROI,Total Flux [p/s],Animal Number,Time Point,Group\n"
        "ROI 1,1e5,M1,Day -7,vehicle\nROI 1,1e6,M1,D0,vehicle\nROI 1,4e6,M1,day_7,vehicle\n"
    )
    li = read_living_image(text.encode(), "ivis.csv")
    assert li.day == (-7.0, 0.0, 7.0)
    t = li.animal_table(baseline_day=0)
    assert t.relative_flux == pytest.approx((0.1, 1.0, 4.0))


def test_living_image_mapping_and_several_rois() -> None:
    text = (
        "Image Number,ROI,Total Flux [p/s],Avg Radiance [p/s/cm²/sr]\n"
        "IM1,ROI 1,1e6,1e4\nIM1,ROI 2,3e6,2e4\nIM2,ROI 1,2e6,2e4\n"
    )
    mapping = pd.DataFrame(
        {
            "image": ["IM1", "IM1", "IM2"],
            "roi": ["ROI 1", "ROI 2", "ROI 1"],
            "animal_id": ["M1", "M1", "M1"],
            "group": ["vehicle"] * 3,
            "day": [0, 0, 7],
        }
    )
    with pytest.raises(InputError, match=r"two ROIs on day 0 \(rows 2 and 3\)"):
        read_living_image(text.encode(), "ivis.csv", mapping=mapping)
    li = read_living_image(text.encode(), "ivis.csv", mapping=mapping, combine="sum")
    assert li.total_flux_p_s == (4e6, 2e6) and li.roi == ("ROI 1+ROI 2", "ROI 1")
    assert math.isnan(li.avg_radiance_p_s_cm2_sr[0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ROI,Total Flux,ROI Label\nROI 1,1e6,M1\n", "has no unit"),
        ("ROI,Total Flux [counts],ROI Label\nROI 1,1e6,M1\n", "unit 'counts' is not expected"),
        ("ROI,Total Flux [p/s],ROI Label,Group\nROI 1,1e6,M1,v\n", "no study day"),
        ("ROI,Total Flux [p/s],ROI Label,Time Point\nROI 1,1e6,M1,Day 0\n", "no group"),
        ("ROI,Total Flux [p/s],ROI Label,Time Point,Group\nROI 1,-1,M1,0,v\n", ">= 0"),
        ("ROI,Total Flux [p/s],ROI Label,Time Point,Group\nROI 1,1e6,M1,week 2,v\n", "study day"),
        ("ROI,Avg Radiance [p/s/cm²/sr]\nROI 1,1e6\n", "no header line"),
    ],
)
def test_bad_living_image_exports(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_living_image(text.encode(), "ivis.csv")


# --- robustness -------------------------------------------------------------------------------------

HEADERS = st.sampled_from(
    [
        "animal_id", "group", "day", "length_mm", "width_mm", "volume_mm3", "total_flux_p_s",
        "body_weight_g", "status", "reason", "volume", "Time", "weight_kg", "x",
    ]
)  # fmt: skip
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "M1",
            "M2",
            "vehicle",
            "drug",
            "0",
            "7",
            "14",
            "-3",
            "1e400",
            "nan",
            "abc",
            "12,5",
            "dead",
            "dropout",
            "alive",
            "1e9",
            "0.0",
            " ",
            '"',
            "Day 7",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
)


@settings(max_examples=150, deadline=None)
@given(
    headers=st.lists(HEADERS, min_size=1, max_size=7),
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=8), min_size=0, max_size=8),
    sep=st.sampled_from([",", "\t", ";"]),
)
def test_random_tables_raise_only_input_errors(
    headers: list[str], rows: list[list[str]], sep: str
) -> None:
    text = sep.join(headers) + "\n" + "\n".join(sep.join(r) for r in rows)
    try:
        t = read_animal_table(text.encode("utf-8", "surrogatepass"), "random.csv")
    except InputError:
        return
    assert len(t.animal_id) == len(t.day) == len(t.rtv)
    assert all(np.isnan(v) or v >= 0 for v in t.volume_mm3)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_input_errors(content: bytes) -> None:
    for reader in (read_animal_table, read_living_image):
        with contextlib.suppress(InputError):
            reader(content, "random.csv")  # type: ignore[operator]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_random_designs_raise_only_input_errors(text: str) -> None:
    with contextlib.suppress(InputError):
        read_design(text, "random.toml")


def test_dataframe_input_uses_positions_for_rows() -> None:
    frame = pd.DataFrame({"animal_id": ["M1", "M1"], "group": ["v", "v"], "day": [0, 0],
                          "volume_mm3": [1.0, 2.0]})  # fmt: skip
    with pytest.raises(InputError) as err:
        build_animal_table(frame, source="frame")
    assert err.value.place.row == 3


def test_the_burden_measure_bli_first_when_calipers_start_late() -> None:
    """An intratibial tumour has no caliper reading until it grows out of the bone: with both
    BLI and calipers, ``auto`` takes flux when an animal lacks a baseline volume, and says so;
    ``volume`` then refuses the animal by name; a measure the table lacks is refused."""
    rows = ["animal_id,group,day,total_flux_p_s,length_mm,width_mm"]
    for group in ("vehicle", "drug"):
        for k in range(3):
            animal = f"{group[0]}{k}"
            rows += [f"{animal},{group},0,1e5,,", f"{animal},{group},7,1e6,5,4"]
    content = "\n".join(rows).encode()
    auto = read_animal_table(content, "bli.csv")
    assert any(f.startswith("burden: total flux (BLI), as 6 animal(s)") for f in auto.flags)
    with pytest.raises(InputError, match="animal 'v0': baseline tumour volume on day 0 is missing"):
        read_animal_table(content, "bli.csv", burden="volume")
    only_calipers = b"animal_id,group,day,length_mm,width_mm\nA,v,0,5,4\nA,v,7,6,5\n"
    with pytest.raises(InputError, match="burden 'flux' needs a total_flux_p_s column"):
        read_animal_table(only_calipers, "c.csv", burden="flux")
