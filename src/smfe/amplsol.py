"""The AMPL ``.sol`` file an AMPL-protocol solver writes (``smfe-ipopt``, ``smfe-scip``).

Layout (the ASL's ``write_sol``): the message, a blank line, the ``Options`` block (3 options:
1 1 0), the counts m, m_given, n, n_given, the given constraint duals, the given primal
values, ``objno 0 <solve_result_num>``, then integer-indexed real suffixes on variables.
Pyomo and AMPL read it; a solver that has no duals (a MINLP) gives none, and one that has no
point gives no primal values either.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


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


def nl_counts(text: str) -> tuple[int, int, int]:
    """(variables, constraints, complementarity constraints) from a ``.nl`` header: line 2
    holds ``vars constraints ...``, line 3 ``nonlinear-constraints objectives lin-ccons
    nonlin-ccons ...`` (the complementarity counts are absent in old headers)."""
    lines = text.splitlines()
    counts = [int(v) for v in lines[1].split("#", 1)[0].split()]
    third = [int(v) for v in lines[2].split("#", 1)[0].split()]
    ccons = sum(third[2:4]) if len(third) >= 4 else 0
    return counts[0], counts[1], ccons
