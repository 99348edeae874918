"""FCS inputs of the flow kinds (occupancy, cd34): one ``.fcs`` file, or a ``.zip`` of them.

A folder of FCS files cannot be one upload, so every surface takes the files of one analysis
zipped: the members are read in memory (never extracted), within limits checked on the zip's
directory before anything is decompressed: at most :data:`MAX_ZIP_MEMBERS` members, each FCS
member at most :data:`~cxcr4lab.core.limits.MAX_FILE_BYTES` (as a file given alone), together
at most :data:`MAX_ZIP_UNCOMPRESSED`, and no member over 1 MiB compressed more than
:data:`~cxcr4lab.core.limits.MAX_XLSX_RATIO` times. Folders in the zip, macOS ``__MACOSX/``
and ``._*`` entries and members that are not ``.fcs`` files are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from cxcr4lab.runs._kind import InputFile

__all__ = ["FCS_FORMATS", "MAX_ZIP_MEMBERS", "MAX_ZIP_UNCOMPRESSED", "fcs_files", "find_member"]

FCS_FORMATS = ("fcs", "zip")
"""File types of an FCS input: one FCS file, or a zip of FCS files."""

MAX_ZIP_MEMBERS: Final = 1000
"""The most entries a zip of FCS files may hold."""

MAX_ZIP_UNCOMPRESSED: Final = 200 * 2**20
"""200 MiB: the sum of the declared sizes of the FCS members of a zip."""


def _skipped(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return path.endswith("/") or path.startswith("__MACOSX/") or base.startswith("._")


def fcs_files(file: InputFile) -> list[InputFile]:
    """The FCS files of an input, as (name, bytes): the file itself unless it is a ``.zip``,
    else every ``.fcs`` member (named by its path in the zip), in the zip's order."""
    name, content = file
    if not name.lower().endswith(".zip"):
        return [file]
    import io
    import zipfile
    import zlib

    from cxcr4lab.core.errors import InputError
    from cxcr4lab.core.limits import MAX_FILE_BYTES, MAX_XLSX_RATIO, check_size, mib

    check_size(content, name)
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError("not a readable .zip file", file=name) from None
    with book:
        entries = book.infolist()
        if len(entries) > MAX_ZIP_MEMBERS:
            raise InputError(
                f"the zip holds {len(entries):,} entries (limit {MAX_ZIP_MEMBERS:,}); refused",
                file=name,
            )
        members = [
            m for m in entries if not _skipped(m.filename) and m.filename.lower().endswith(".fcs")
        ]
        if not members:
            raise InputError("the zip holds no .fcs file", file=name)
        seen: set[str] = set()
        total = 0
        for m in members:
            where = f"{name}: {m.filename[:100]}"
            if m.filename in seen:
                raise InputError("is in the zip twice", file=where)
            seen.add(m.filename)
            if m.flag_bits & 0x1:
                raise InputError("is encrypted; zip the FCS files without a password", file=where)
            if m.file_size > MAX_FILE_BYTES:
                raise InputError(f"is larger than {mib(MAX_FILE_BYTES)}; refused", file=where)
            if m.file_size > 2**20 and m.file_size > MAX_XLSX_RATIO * max(m.compress_size, 1):
                raise InputError(
                    f"is compressed more than {MAX_XLSX_RATIO} times; refused as a zip bomb",
                    file=where,
                )
            total += m.file_size
        if total > MAX_ZIP_UNCOMPRESSED:
            raise InputError(
                f"the FCS files in the zip hold {mib(total)} unpacked (limit "
                f"{mib(MAX_ZIP_UNCOMPRESSED)}); refused",
                file=name,
            )
        out: list[InputFile] = []
        for m in members:
            try:
                out.append((m.filename, book.read(m)))
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError):
                raise InputError(
                    "cannot be unpacked (damaged, or an unsupported compression)",
                    file=f"{name}: {m.filename[:100]}",
                ) from None
    return out


def find_member(files: Sequence[InputFile], wanted: str) -> InputFile | None:
    """The file named ``wanted`` (a manifest's ``file`` cell): by its path in the zip, else by
    its base name when exactly one file has it; None if none (or several) match."""
    path = wanted.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    exact = [f for f in files if f[0] == path]
    if exact:
        return exact[0]
    base = path.rsplit("/", 1)[-1]
    named = [f for f in files if f[0].rsplit("/", 1)[-1] == base]
    return named[0] if len(named) == 1 else None
