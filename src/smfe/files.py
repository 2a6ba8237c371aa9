"""Output files: never overwrite silently, never overwrite an input, write atomically.

Every file smfe writes goes through :func:`check_outputs` (refuses a path that exists unless
``force``; refuses, even with ``force``, a path that is one of the command's own inputs; checks
that the folder can be written *before* a long solve) and is then written to a temporary
file in the same folder and renamed over the target (:func:`write_text`, :func:`write_with`),
so an interrupted run leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from smfe.errors import InstanceError


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(
    paths: Iterable[str | Path],
    *,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
    field: str = "--out",
) -> list[Path]:
    """Check that each path of ``paths`` may be written; return them as Paths.

    Raises :class:`InstanceError` naming ``field`` if a path is an input of the same command,
    exists and ``force`` is false, is a directory, or lies in a folder that cannot be created
    or written.
    """
    out = []
    ins = [Path(p) for p in inputs if str(p)]
    for raw in paths:
        if str(raw).strip() == "":
            raise InstanceError(field, "is empty; give a file name")
        p = Path(raw)
        if any(_same(p, i) or p.resolve() == i.resolve() for i in ins):
            raise InstanceError(
                field, f"{str(p)!r} is an input of this command; it is never overwritten"
            )
        if p.is_dir():
            raise InstanceError(field, f"{str(p)!r} is a directory")
        if p.exists() and not force:
            raise InstanceError(
                field, f"{str(p)!r} exists; pass --force (force=True) to replace it"
            )
        folder = _existing_parent(p.parent)
        if not folder.is_dir():
            raise InstanceError(field, f"{str(folder)!r} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InstanceError(field, f"the folder {str(folder)!r} cannot be written")
        out.append(p)
    return out


def check_folder(folder: str | Path, field: str = "--out") -> Path:
    """A folder that exists or can be created, and can be written."""
    if str(folder).strip() == "":
        raise InstanceError(field, "is empty; give a folder")
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise InstanceError(field, f"{str(p)!r} exists and is not a folder")
    base = _existing_parent(p)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise InstanceError(field, f"the folder {str(base)!r} cannot be written")
    return p


def _existing_parent(p: Path) -> Path:
    p = p if str(p) else Path(".")
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def write_with(path: str | Path, writer: Callable[[Path], object], *, force: bool = False) -> Path:
    """Call ``writer(tmp)`` to write a temporary file beside ``path``, then rename it over
    ``path`` (atomic on one file system). Refuses an existing ``path`` unless ``force``."""
    (target,) = check_outputs([path], force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str, *, force: bool = False) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_with`)."""
    return write_with(path, lambda p: p.write_text(text, encoding="utf-8"), force=force)
