"""The AMPL ``.sol`` file an AMPL-protocol solver writes (``smfe-ipopt``, ``smfe-scip``).

Layout (the ASL's ``write_sol``): the message, a blank line, the ``Options`` block (3 options:
1 1 0), the counts m, m_given, n, n_given, the given constraint duals, the given primal
values, ``objno 0 <solve_result_num>``, then integer-indexed real suffixes on variables.
Pyomo and AMPL read it; a solver that has no duals (a MINLP) gives none, and one that has no
point gives no primal values either.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from smfe import __version__

FloatArray = NDArray[np.float64]
FAILURE = 500
"""AMPL's solve_result_num for a solver failure (500–599)."""


def sol_text(
    message: str,
    n_constraints: int,
    n_variables: int,
    code: int,
    x: FloatArray | None = None,
    duals: FloatArray | None = None,
    variable_suffixes: dict[str, FloatArray] | None = None,
) -> str:
    """The ``.sol`` text; ``x`` (length ``n_variables``) and ``duals`` (``n_constraints``)
    are written when given, suffix entries only where nonzero."""
    m_given = 0 if duals is None else duals.size
    n_given = 0 if x is None else x.size
    lines = [message, "", "Options", "3", "1", "1", "0"]
    lines += [str(n_constraints), str(m_given), str(n_variables), str(n_given)]
    if duals is not None:
        lines += [repr(float(v)) for v in duals]
    if x is not None:
        lines += [repr(float(v)) for v in x]
    lines.append(f"objno 0 {code}")
    for name, vals in (variable_suffixes or {}).items():
        nz = np.flatnonzero(vals)
        lines.append(f"suffix 4 {nz.size} {len(name) + 1} 0 0")
        lines.append(name)
        lines += [f"{i} {float(vals[i])!r}" for i in nz]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SolFile:
    """What a ``.sol`` file holds: the solver's message, ``solve_result_num`` (``code``; -1
    when absent), the primal values (empty when the solver gave none) and the duals."""

    message: str
    code: int
    x: FloatArray
    duals: FloatArray


def read_sol(text: str) -> SolFile:
    """Parse ``.sol`` text (the layout in the module docstring); a malformed file is a
    :class:`~smfe.errors.SolveFailed` naming what is wrong."""
    from smfe.errors import SolveFailed

    lines = text.splitlines()
    try:
        k = lines.index("Options")
        message = "\n".join(lines[:k]).strip()
        n_opts = int(lines[k + 1])
        vbtol = n_opts > 4  # as the ASL writes it: 2 more options announce a vbtol line
        k += 2 + (n_opts - 2 if vbtol else n_opts)
        _m, m_given, _n, n_given = (int(v) for v in lines[k : k + 4])
        k += 4 + int(vbtol)
        duals = np.array([float(v) for v in lines[k : k + m_given]], dtype=np.float64)
        k += m_given
        x = np.array([float(v) for v in lines[k : k + n_given]], dtype=np.float64)
        k += n_given
    except (ValueError, IndexError) as exc:
        raise SolveFailed(f"malformed .sol file: {exc}") from None
    code = -1
    if k < len(lines) and lines[k].startswith("objno"):
        code = int(lines[k].split()[2])
    return SolFile(message, code, x, duals)


def nl_counts(text: str) -> tuple[int, int, int]:
    """(variables, constraints, complementarity constraints) from a ``.nl`` header: line 2
    holds ``vars constraints ...``, line 3 ``nonlinear-constraints objectives lin-ccons
    nonlin-ccons ...`` (the complementarity counts are absent in old headers)."""
    lines = text.splitlines()
    counts = [int(v) for v in lines[1].split("#", 1)[0].split()]
    third = [int(v) for v in lines[2].split("#", 1)[0].split()]
    ccons = sum(third[2:4]) if len(third) >= 4 else 0
    return counts[0], counts[1], ccons


def stub_or_exit(args: list[str], doc: str | None, version: Callable[[], str]) -> Path | int:
    """The AMPL solver command line's common part: ``-h`` prints ``doc`` (exit 0; no
    arguments: exit 1), ``-v`` prints ``version()`` (exit 0); otherwise the ``.nl`` path of
    the stub (``stub`` or ``stub.nl``)."""
    if not args or args[0] in ("-h", "--help"):
        print(doc)
        return 0 if args else 1
    if args[0] in ("-v", "--version", "-version"):
        print(version())
        return 0
    stub = args[0]
    return Path(stub if stub.endswith(".nl") else stub + ".nl")


def fail(solver: str, nl_path: Path, n_cons: int, n_vars: int, why: str) -> int:
    """A model or option the solver cannot take: reported on stderr and as a ``.sol`` with
    AMPL's failure code and no values, so the caller (Pyomo, AMPL) reads a clean solver
    error, never a missing file or a traceback."""
    message = f"{solver} {__version__}: failure: {why}"
    print(message, file=sys.stderr)
    nl_path.with_suffix(".sol").write_text(sol_text(message, n_cons, n_vars, FAILURE))
    return 0


def executable_path(name: str) -> str | None:
    """The installed console script ``name``: on PATH, or next to this Python."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else None
