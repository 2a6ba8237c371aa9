"""``smfe-scip``: an AMPL-protocol solver executable around SCIP 10 from ``pyscipopt``.

Usage (as Pyomo and AMPL call solvers)::

    smfe-scip stub[.nl] [-AMPL] [option=value ...]
    smfe-scip -v | --version

Options are SCIP parameters (``limits/time=60 numerics/feastol=1e-9``) or the short names
``time``, ``gap``, ``absgap``, ``nodes``, ``memory``, ``threads``, ``seed``, ``verbosity``
(:data:`smfe.scip.backend.ALIASES`), also read from the environment variable
``smfe_scip_options`` and from a ``scip.set`` file (``name = value`` lines) in the working
directory, as SCIP's own AMPL interface does. Writes ``stub.sol``: the incumbent (if any),
no duals, the solve-result code (0 proven optimal, 100 stopped at the gap limit, 200
infeasible, 300 unbounded, 4xx limits, 5xx failures; :mod:`smfe.scip.status`) and a message
with SCIP's status. The log ends with SCIP's summary (status, time, nodes, primal bound, dual
bound, gap), which Pyomo's SCIP interface reads into its results.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from smfe import __version__
from smfe.amplsol import fail, nl_counts, sol_text, stub_or_exit
from smfe.errors import InstanceError, SolverUnavailable
from smfe.inputs.jsondoc import read_text
from smfe.ipopt.ampl import parse_options


def settings_file(folder: Path) -> dict[str, str]:
    """``name = value`` lines of ``scip.set`` in ``folder`` (none if there is no file)."""
    path = folder / "scip.set"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in read_text(path, "scip.set").splitlines():
        body = line.split("#", 1)[0]
        if "=" in body:
            k, v = body.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def summary(run: object) -> str:
    """SCIP's closing statistics lines, in SCIP's own layout (Pyomo parses them)."""
    from smfe.scip.backend import ScipRun

    assert isinstance(run, ScipRun)
    gap = "infinite" if run.gap >= 1e20 or run.n_solutions == 0 else f"{100.0 * run.gap:.6g} %"
    return "\n".join(
        [
            f"SCIP Status        : {run.message} [{run.status}]",
            f"Solving Time (sec) : {run.seconds:.2f}",
            f"Solving Nodes      : {run.nodes}",
            f"Primal Bound       : {run.primal_bound:+.14e} ({run.n_solutions} solutions)",
            f"Dual Bound         : {run.dual_bound:+.14e}",
            f"Gap                : {gap}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from smfe.scip.backend import scip_version, solve_nl

    args = list(sys.argv[1:] if argv is None else argv)
    version = f"(smfe-scip {__version__}, via pyscipopt)"
    nl_path = stub_or_exit(args, __doc__, lambda: f"SCIP version {scip_version()} {version}")
    if isinstance(nl_path, int):
        return nl_path
    try:
        options: dict[str, object] = dict(settings_file(Path.cwd()))
        options.update(
            parse_options(
                [a for a in args[1:] if a != "-AMPL"],
                os.environ.get("smfe_scip_options"),  # noqa: SIM112 (Pyomo's name)
            )
        )
        with open(nl_path, "rb") as f:
            header = "".join(f.readline().decode("ascii", errors="replace") for _ in range(3))
        n_vars, n_cons, n_compl = nl_counts(header)
    except (InstanceError, OSError, ValueError, IndexError) as exc:
        print(f"smfe-scip: {exc}", file=sys.stderr)
        return 2
    if n_compl:
        why = (
            f"{n_compl} complementarity constraints: SCIP's .nl reader takes none; "
            "reformulate them first (e.g. Pyomo's mpec.simple_disjunction or "
            "mpec.simple_nonlinear transformation)"
        )
        return _failed(nl_path, n_cons, n_vars, why)
    try:
        run = solve_nl(nl_path, options)
    except (InstanceError, SolverUnavailable) as exc:
        return _failed(nl_path, n_cons, n_vars, str(exc))
    sys.stdout.write(run.log)
    print(summary(run), flush=True)
    message = f"smfe-scip {__version__} (SCIP {scip_version()}): {run.message}"
    nl_path.with_suffix(".sol").write_text(sol_text(message, n_cons, n_vars, run.ampl_code, run.x))
    return 0


def _failed(nl_path: Path, n_cons: int, n_vars: int, why: str) -> int:
    return fail("smfe-scip", nl_path, n_cons, n_vars, why)


if __name__ == "__main__":
    sys.exit(main())
