"""The one seam between the command line and the file system: reading inputs, writing outputs.

Every file the CLI reads goes through :func:`read_input` and every file it writes through
:func:`write_atomic`, so a directory, a device, a FIFO, an unreadable or vanishing file, a file
that fails while being read (``/proc/self/mem`` gives EIO) or one past the size limit is one
:class:`~cxcr4lab.core.errors.InputError` naming the file and the option, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from cxcr4lab.core.errors import InputError, quote
from cxcr4lab.core.limits import MAX_FILE_BYTES, mib

__all__ = ["check_output", "read_input", "write_atomic"]


def _reason(exc: OSError) -> str:
    return exc.strerror or (os.strerror(exc.errno) if exc.errno else type(exc).__name__)


def read_input(path: str | Path, *, field: str | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit`` bytes), given as ``field``.

    Refused, each as one :class:`InputError` naming the file and ``field``: a missing path, a
    directory, anything but a regular file (device, FIFO, socket), a file that cannot be opened
    or read (permissions, I/O errors), a file larger than ``limit``.
    """
    p = Path(path)
    where = {"file": str(p), "field": field}

    def refuse(message: str) -> InputError:
        return InputError(message, **where)  # type: ignore[arg-type]

    try:
        info = p.stat()
    except FileNotFoundError:
        raise refuse("file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = _reason(exc) if isinstance(exc, OSError) else "not a valid path"
        raise refuse(f"cannot read the file ({reason})") from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise refuse("is not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise refuse(f"file is larger than {mib(limit)}; refused")
    try:
        # O_NONBLOCK: should the path have become a FIFO since stat(), open() does not hang.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise refuse(f"cannot open the file ({_reason(exc)})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise refuse("is not a regular file (a device, pipe or socket)")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise refuse(f"file is larger than {mib(limit)}; refused")
    except OSError as exc:
        raise refuse(f"cannot read the file ({_reason(exc)})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def write_atomic(path: str | Path, content: str | bytes, *, field: str | None = None) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` through a unique temporary file in the same
    folder, renamed into place; parents are created. Any failure removes the temporary file and
    is one :class:`InputError` naming the file and ``field`` (the option, e.g. ``--out``)."""
    p = Path(path)
    where = {"file": str(p), "field": field or "output file"}

    def refuse(message: str) -> InputError:
        return InputError(message, **where)  # type: ignore[arg-type]

    data = content.encode("utf-8") if isinstance(content, str) else content
    if p.is_dir():
        raise refuse("is a directory; give a file name to write")
    if p.exists() and not p.is_file():
        raise refuse("is not a regular file; give a file name to write")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = _reason(exc)
        if exc.errno in (errno.EEXIST, errno.ENOTDIR):
            reason = f"{quote(str(p.parent))} is a file, not a folder"
        raise refuse(f"cannot create the folder ({reason})") from None
    tmp: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            mode="wb", dir=p.parent, prefix=f".{p.name[:100]}.", suffix=".part", delete=False
        ) as handle:
            tmp = handle.name
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes 0600 files; keep an existing file's mode, else the usual 0644.
        os.chmod(tmp, stat.S_IMODE(p.stat().st_mode) if p.is_file() else 0o644)
        os.replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise refuse(f"cannot write the file ({_reason(exc)})") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return p


def check_output(path: str | Path, *, field: str = "--out", folder: bool = False) -> None:
    """Refuse an output path early (before long work): a directory where a file is to be written,
    or a file where a folder is (``folder=True``)."""
    p = Path(path)
    if folder:
        if p.exists() and not p.is_dir():
            raise InputError("is a file; give a folder to write into", file=str(p), field=field)
        return
    if p.is_dir():
        raise InputError("is a directory; give a file name to write", file=str(p), field=field)
