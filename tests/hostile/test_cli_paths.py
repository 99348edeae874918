"""Hostile paths against every CLI command that reads or writes a file.

Each file argument or option of every command gets a directory, ``/proc/self/mem`` (EIO on
read), a FIFO (would hang a plain ``open``), a device, a missing file and an unreadable one; each
output option gets a directory. Every case must exit with status 2 and one line naming the file
and the option, with no traceback and no temporary file left behind. :data:`COMMANDS` is checked
against the command tree (``cxcr4lab --help`` walked recursively), so a new command that takes a
file must be listed here.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import typer

from cxcr4lab.cli import app
from cxcr4lab.core import files
from cxcr4lab.core.errors import InputError
from cxcr4lab.core.files import write_atomic
from tests.conftest import CliRun

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "src" / "cxcr4lab" / "examples"
PK = ROOT / "tests" / "data" / "pk"


def _curves(folder: Path) -> Path:
    path = folder / "curves.csv"
    rows = ["curve_id,concentration,response"]
    for cid in ('=HYPERLINK("http://evil.example","x")', "+cmd", "ok"):
        for conc, resp in ((0.1, 99), (1, 90), (10, 50), (100, 10), (1000, 2)):
            rows.append(f'"{cid.replace(chr(34), chr(34) * 2)}",{conc},{resp}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Command:
    """A command line with every file slot named: ``{NAME}`` in ``args`` is a file input,
    ``inputs[NAME]`` its valid example; ``outputs`` are slots of files the command writes."""

    args: tuple[str, ...]
    inputs: dict[str, Path]
    outputs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return " ".join(a for a in self.args if not a.startswith("{") and not a.startswith("-"))


BINDING = EX / "binding"
CLIN = EX / "clinical"
COMMANDS: list[Command] = [
    Command(
        ("analyze", "binding", "{PLATE}", "--layout", "{LAYOUT}", "--radioligand-conc", "0.1nM",
         "--kd", "0.5nM", "--no-save"),
        {"PLATE": BINDING / "plate96_run1.csv", "LAYOUT": BINDING / "layout96.toml"},
    ),
    Command(
        ("analyze", "arrestin", "{PLATE}", "--layout", "{LAYOUT}", "--no-save"),
        {"PLATE": EX / "arrestin/plate96_run1.csv", "LAYOUT": EX / "arrestin/layout96.toml"},
    ),
    Command(("analyze", "bioanalysis", "{RUN}", "--no-save"), {"RUN": EX / "bioanalysis/run1.csv"}),
    Command(
        ("analyze", "calcium", "{KINETIC}", "--layout", "{LAYOUT}", "--injection", "20",
         "--no-save"),
        {"KINETIC": EX / "calcium/flipr_run1.csv", "LAYOUT": EX / "calcium/layout96.toml"},
    ),
    Command(
        ("analyze", "cd34", "{FCS}", "--gates", "{GATES}", "--beads-per-tube", "50000",
         "--volume-ul", "100", "--no-save"),
        {"FCS": EX / "cd34/demo_tube.fcs", "GATES": EX / "cd34/gates.toml"},
    ),
    Command(("analyze", "cd34", "{COUNTS}", "--no-save"), {"COUNTS": EX / "cd34/counts.csv"}),
    Command(
        ("analyze", "chemotaxis", "{DATA}", "--layout", "{LAYOUT}", "--readout", "fluorescence",
         "--agonist-conc", "100ng/mL", "--no-save"),
        {"DATA": EX / "chemotaxis/calcein_jurkat.csv",
         "LAYOUT": EX / "chemotaxis/layout96_calcein.toml"},
    ),
    Command(
        ("analyze", "elisa", "{PLATE}", "--layout", "{LAYOUT}", "--no-save"),
        {"PLATE": EX / "elisa/il2_plate.csv", "LAYOUT": EX / "elisa/il2_layout.toml"},
    ),
    Command(
        ("analyze", "ihc", "{SCORES}", "--cutoff", "200", "--no-save"),
        {"SCORES": EX / "ihc/cells_image_analysis.csv"},
    ),
    Command(
        ("analyze", "invasion", "{DATA}", "--layout", "{LAYOUT}", "--readout", "counts",
         "--agonist-conc", "100ng/mL", "--no-save"),
        {"DATA": EX / "invasion/counts_mda231.csv", "LAYOUT": EX / "invasion/layout96.toml"},
    ),
    Command(("analyze", "cfu", "{COUNTS}", "--no-save"), {"COUNTS": EX / "cfu/blood.csv"}),
    Command(
        ("analyze", "engraftment", "{DATA}", "--no-save"),
        {"DATA": EX / "engraftment/chimerism.csv"},
    ),
    Command(("analyze", "elda", "{DATA}", "--no-save"), {"DATA": EX / "elda/dilutions.csv"}),
    Command(
        ("analyze", "inventory", "{TOML}", "--solubility", "{CSV}", "--on", "2026-12-03",
         "--solubility-unit", "ug/mL", "--no-save"),
        {"TOML": EX / "inventory/inventory.toml", "CSV": EX / "inventory/solubility.csv"},
    ),
    Command(
        ("receptor", "sbml", "--sbml", "{SBML}", "--no-save"),
        {"SBML": EX / "signalling_sbml/cxcr4_signalling_jurkat.xml"},
    ),
    Command(("inventory", "import", "{TOML}"), {"TOML": EX / "inventory/inventory.toml"}),
    Command(
        ("inventory", "solubility", "{CSV}", "--unit", "ug/mL"),
        {"CSV": EX / "inventory/solubility.csv"},
    ),
    Command(("inventory", "report", "--on", "2026-12-03", "--out", "{OUT}"), {}, ("OUT",)),
    Command(("analyze", "nca", "{DATA}", "--no-save"), {"DATA": EX / "pk/theoph.csv"}),
    Command(("nca", "{DATA}", "--no-save"), {"DATA": EX / "pk/theoph.csv"}),
    Command(
        ("nonmem", "{DATA}", "--lloq", "0.5", "--no-save", "--out", "{OUT}"),
        {"DATA": EX / "pk/theoph.csv"},
        ("OUT",),
    ),
    Command(
        ("cox", "{TABLE}", "--covariate", "age", "--no-save"), {"TABLE": EX / "cox/lung.csv"}
    ),
    Command(
        ("simulate", "occupancy", "{DATA}", "--kd", "1 nM", "--no-save"),
        {"DATA": EX / "occupancy_course/balixafortide_5p5_mg_kg.csv"},
    ),
    Command(
        ("analyze", "occupancy", "{DATA}", "--no-save"), {"DATA": EX / "occupancy/mfi_table.csv"}
    ),
    Command(
        ("analyze", "occupancy", "{MANIFEST}", "--gates", "{GATES}", "--fcs", "{FCS}",
         "--no-save"),
        {"MANIFEST": EX / "occupancy/manifest.csv", "GATES": EX / "occupancy/gates.toml",
         "FCS": EX / "occupancy/fcs.zip"},
    ),
    Command(
        ("analyze", "pkfit", "{DATA}", "--out", "{OUT}", "--no-save"),
        {"DATA": EX / "pk/theoph.csv"},
        ("OUT",),
    ),
    Command(
        ("pkfit", "{DATA}", "--out", "{OUT}", "--no-save"), {"DATA": EX / "pk/theoph.csv"}, ("OUT",)
    ),
    Command(
        ("analyze", "popfit", "{DATA}", "--vpc-replicates", "0", "--no-save"),
        {"DATA": EX / "pk/theoph_nonmem.csv"},
    ),
    Command(
        ("popfit", "{DATA}", "--vpc-replicates", "0", "--no-save"),
        {"DATA": EX / "pk/theoph_nonmem.csv"},
    ),
    Command(
        ("analyze", "viability", "{PLATE}", "--layout", "{LAYOUT}", "--tidy", "{TIDY}",
         "--no-save"),
        {"PLATE": EX / "viability/mtt_pc3_48h.csv", "LAYOUT": EX / "viability/layout96.toml"},
        ("TIDY",),
    ),
    Command(
        ("analyze", "western", "{BANDS}", "--no-save"), {"BANDS": EX / "western/namalwa_3blots.csv"}
    ),
    Command(
        ("response", "{ADRS}", "--adsl", "{ADSL}", "--tr", "{TR}", "--no-save"),
        {"ADRS": CLIN / "phase1b_adrs.csv", "ADSL": CLIN / "phase1b_adsl.csv",
         "TR": CLIN / "phase1b_tr.csv"},
    ),
    Command(
        ("safety", "{ADAE}", "--adsl", "{ADSL}", "--no-save"),
        {"ADAE": CLIN / "phase1b_adae.csv", "ADSL": CLIN / "phase1b_adsl.csv"},
    ),
    Command(
        ("survival", "{ADTTE}", "--adsl", "{ADSL}", "--no-save"),
        {"ADTTE": CLIN / "phase1b_adtte.csv", "ADSL": CLIN / "phase1b_adsl.csv"},
    ),
    Command(("fit", "{CURVES}", "--out", "{OUT}"), {"CURVES": Path("curves")}, ("OUT",)),
    Command(("compare", "{CURVES}", "--no-save"), {"CURVES": EX / "compare/curves.csv"}),
    Command(
        ("invivo", "{STUDY}", "--design", "{DESIGN}", "--endpoints", "{ENDPOINTS}", "--out",
         "{FOLDER}", "--no-save"),
        {"STUDY": EX / "invivo/study.csv", "DESIGN": EX / "invivo/design.toml",
         "ENDPOINTS": EX / "invivo/endpoints.csv"},
        ("FOLDER",),
    ),
    Command(
        ("synergy", "{DATA}", "--method", "bliss", "--out", "{OUT}", "--cells", "{CELLS}",
         "--no-save"),
        {"DATA": EX / "synergy/docetaxel_balixafortide_pc3.csv"},
        ("OUT", "CELLS"),
    ),
    Command(
        ("simulate", "regimen", "--patients", "4", "--cycles", "1", "--covariates", "{COV}",
         "--no-save"),
        {"COV": Path("covariates")},
    ),
    Command(
        ("simulate", "compare", "--patients", "4", "--cycles", "1", "--covariates", "{COV}"),
        {"COV": Path("covariates")},
    ),
    Command(
        ("simulate", "pk", "--pkfit", "{PKFIT}", "--doses", "2", "--no-save"),
        {"PKFIT": EX / "pk/theoph_pkfit.json"},
    ),
    Command(("simulate", "sbml", "{OUT}"), {}, ("OUT",)),
    Command(
        ("receptor", "plate", "arrestin", "--out", "{OUT}", "--layout", "{LAYOUT_OUT}"),
        {},
        ("OUT", "LAYOUT_OUT"),
    ),
    Command(("report", "1", "--out", "{FOLDER}"), {}, ("FOLDER",)),
    Command(("dossier", "--out", "{FOLDER}", "--timings", "{TIMINGS}"), {}, ("FOLDER", "TIMINGS")),
]  # fmt: skip


def _walk(command: object, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield prefix, command
        return
    for name, sub in subcommands.items():
        yield from _walk(sub, (*prefix, name))


def test_every_command_with_a_file_is_listed() -> None:
    """Walk ``cxcr4lab --help``: each command with a Path parameter is in COMMANDS."""
    listed = {
        c.args[: 2 if c.args[0] in {"analyze", "simulate", "receptor", "inventory"} else 1]
        for c in COMMANDS
    }
    with_files = {
        path
        for path, cmd in _walk(typer.main.get_command(app), ())
        if any("Path" in str(getattr(p, "type_descriptor", "")) for p in cmd.params)  # type: ignore[attr-defined]
    }
    assert with_files, "no command with a file found: the walk is broken"
    assert with_files <= listed, sorted(with_files - listed)


def _materialise(command: Command, folder: Path) -> dict[str, Path]:
    valid: dict[str, Path] = {}
    for slot, path in command.inputs.items():
        if path == Path("curves"):
            valid[slot] = _curves(folder)
        elif path == Path("covariates"):
            valid[slot] = folder / "cov.csv"
            valid[slot].write_text("ID,WT,HT\n1,70,170\n2,80,180\n", encoding="utf-8")
        else:
            valid[slot] = path
    for slot in command.outputs:
        valid[slot] = folder / "out" / f"{slot.lower()}.file"
    if command.args[0] == "simulate" and "sbml" in command.args:
        valid["OUT"] = folder / "out" / "model.xml"
    if command.args[0] == "fit":  # the table's file type is its suffix
        valid["OUT"] = folder / "out" / "fits.csv"
    if "FOLDER" in command.outputs:  # a command that writes into a folder
        valid["FOLDER"] = folder / "report"
    return valid


def _argv(command: Command, paths: dict[str, Path]) -> list[str]:
    out = []
    for a in command.args:
        out.append(str(paths[a[1:-1]]) if a.startswith("{") and a.endswith("}") else a)
    return out


HOSTILE_INPUTS = ("directory", "proc-mem", "fifo", "device", "missing", "unreadable")
EXPECTED = {
    "directory": "is a directory",
    "proc-mem": "cannot read the file",
    "fifo": "not a regular file",
    "device": "not a regular file",
    "missing": "file not found",
    "unreadable": "cannot open the file (Permission denied)",
}


def _hostile(kind: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if kind == "directory":
        path = folder / "a_folder.csv"
        path.mkdir()
        return path
    if kind == "proc-mem":
        return Path("/proc/self/mem")
    if kind == "fifo":
        path = folder / "pipe.csv"
        os.mkfifo(path)
        return path
    if kind == "device":
        return Path("/dev/zero")
    if kind == "missing":
        return folder / "nowhere" / "absent.csv"
    path = folder / "locked.csv"
    path.write_text("well,signal\nA1,1\n", encoding="utf-8")
    real_open = os.open

    def deny(target: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(target) == str(path):  # root ignores chmod 000: refuse as the kernel would
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(target, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "open", deny)
    return path


def _assert_one_line_error(run: CliRun, *needles: str) -> None:
    assert run.code == 2, (run.code, run.err, run.out)
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    assert "Traceback" not in run.err and "Traceback" not in run.out
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


INPUT_CASES = [
    (command, slot, kind)
    for command in COMMANDS
    for slot in command.inputs
    for kind in HOSTILE_INPUTS
]


@pytest.mark.parametrize(
    ("command", "slot", "kind"),
    INPUT_CASES,
    ids=[f"{c.key}-{s}-{k}" for c, s, k in INPUT_CASES],
)
def test_hostile_input_path_is_one_line_and_status_2(
    cli: Callable[..., CliRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: Command,
    slot: str,
    kind: str,
) -> None:
    paths = _materialise(command, tmp_path)
    paths[slot] = _hostile(kind, tmp_path, monkeypatch)
    run = cli(*_argv(command, paths))
    _assert_one_line_error(run, EXPECTED[kind], paths[slot].name)


OUTPUT_CASES = [(command, slot) for command in COMMANDS for slot in command.outputs]


@pytest.mark.parametrize(
    ("command", "slot"), OUTPUT_CASES, ids=[f"{c.key}-{s}" for c, s in OUTPUT_CASES]
)
def test_output_path_that_is_a_directory_is_refused_and_leaves_nothing(
    cli: Callable[..., CliRun], tmp_path: Path, command: Command, slot: str
) -> None:
    paths = _materialise(command, tmp_path)
    target = paths[slot]
    if slot == "FOLDER":  # report and dossier write into a folder: give them a file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("not a folder", encoding="utf-8")
        expected = "is a file"
    else:
        target.mkdir(parents=True)
        expected = "is a directory"
    run = cli(*_argv(command, paths))
    _assert_one_line_error(run, expected)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".part")]
    assert not leftovers
    assert target.is_dir() or target.read_text(encoding="utf-8") == "not a folder"


def test_out_whose_folder_is_a_file_is_one_line(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    run = cli("fit", str(_curves(tmp_path)), "--out", str(blocker / "out.csv"))
    _assert_one_line_error(run, "--out", "is a file, not a folder")


def test_fit_out_escapes_formula_prefixes(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    out = tmp_path / "fits.csv"
    run = cli("fit", str(_curves(tmp_path)), "--conc-unit", "nM", "--out", str(out))
    assert run.code == 0, run.err
    ids = pd.read_csv(out, dtype=str)["curve_id"].tolist()
    assert sorted(ids) == sorted(['\'=HYPERLINK("http://evil.example","x")', "'+cmd", "ok"])
    assert not any(i.startswith(("=", "+", "-", "@")) for i in ids)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_writer_removes_its_temporary_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(InputError, match=r"--out: cannot write the file \(Input/output error\)"):
        write_atomic(target, "new", field="--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert target.read_text(encoding="utf-8") == "old"


def test_atomic_writer_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_atomic(target, "a")
    assert target.stat().st_mode & 0o777 == 0o644
    target.chmod(0o600)
    write_atomic(target, "b")
    assert target.stat().st_mode & 0o777 == 0o600 and target.read_text() == "b"


def test_survival_landmark_nan_names_the_option(cli: Callable[..., CliRun]) -> None:
    adtte = str(CLIN / "phase1b_adtte.csv")
    _assert_one_line_error(cli("survival", adtte, "--landmark", "nan"), "--landmark")
    _assert_one_line_error(cli("survival", adtte, "--landmark", "-3"), "--landmark")
    _assert_one_line_error(cli("survival", adtte, "--tau", "inf"), "--tau")


def test_deep_and_odd_layouts_from_the_cli(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    layout = (BINDING / "layout96.toml").read_text(encoding="utf-8")
    cases = {
        "list.toml": (layout.replace("plate = 96", "plate = [96]"), "is not a plate format"),
        "deep.toml": ("a = " + "[" * 3000 + "]" * 3000, "nested 3,001 levels deep"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        run = cli(
            "analyze", "binding", str(BINDING / "plate96_run1.csv"), "--layout", str(path),
            "--radioligand-conc", "0.1nM", "--kd", "0.5nM", "--no-save",
        )  # fmt: skip
        _assert_one_line_error(run, expected, name)


def test_xlsx_bomb_from_the_cli(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    from tests.hostile.test_readers import _plate_grid_rows, _xlsx

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_xlsx(_plate_grid_rows(), padding=100 << 20))
    run = cli(
        "analyze", "binding", str(path), "--layout", str(BINDING / "layout96.toml"),
        "--radioligand-conc", "0.1nM", "--kd", "0.5nM", "--no-save",
    )  # fmt: skip
    _assert_one_line_error(run, "bomb.xlsx", "would decompress to 100 MiB")
    run = cli("synergy", str(path), "--no-save")  # a combination table is checked the same way
    _assert_one_line_error(run, "bomb.xlsx", "would decompress to 100 MiB")


def test_example_inputs_are_valid(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    """The hostile cases swap one file of a working command line: the line must work as is."""
    for i, command in enumerate(COMMANDS):
        if command.args[0] in {"report", "dossier", "simulate"} or "occupancy" in command.args:
            continue  # slow or store-bound; their inputs are exercised by tests/app
        folder = tmp_path / f"command{i}"
        folder.mkdir()
        run = cli(*_argv(command, _materialise(command, folder)))
        assert run.code == 0, (command.args, run.err)
    shutil.rmtree(tmp_path, ignore_errors=True)
