"""``smfe-ipopt``: an AMPL-protocol solver executable around Ipopt 3.14 from CasADi.

Usage (as Pyomo and AMPL call solvers)::

    smfe-ipopt stub[.nl] [-AMPL] [option=value ...]
    smfe-ipopt -v | --version

Options are Ipopt options (``max_iter=50 tol=1e-10``), also read from the environment
variable ``smfe_ipopt_options`` and from ``option_file_name=FILE`` (lines ``name value``).
Writes ``stub.sol``: primal values, constraint duals (AMPL sign convention), the solve-result
code (0 optimal, 100 acceptable, 200 infeasible, 300 diverging, 400 iteration limit, 5xx
errors; see :mod:`smfe.ipopt.status`) and the suffixes ``ipopt_zL_out`` / ``ipopt_zU_out``.
Warm starts: the ``.nl`` file's primal (``x``) and dual (``d``) segments and the suffixes
``ipopt_zL_in`` / ``ipopt_zU_in`` (set ``warm_start_init_point=yes`` to use the duals).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from smfe import __version__
from smfe.amplsol import fail, nl_counts, sol_text, stub_or_exit
from smfe.errors import InstanceError
from smfe.inputs.jsondoc import read_text
from smfe.ipopt.backend import IpoptRun, ipopt_version, solve_nl
from smfe.ipopt.nlfile import prepare


def parse_options(args: list[str], env: str | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    tokens = shlex.split(env) if env else []
    for tok in [*tokens, *args]:
        if "=" not in tok:
            continue
        k, v = tok.split("=", 1)
        opts[k.strip()] = v.strip().strip('"')
    path = opts.pop("option_file_name", None)
    if path:
        for line in read_text(path, "option_file_name").splitlines():
            parts = line.split("#", 1)[0].split(None, 1)
            if len(parts) == 2:
                opts.setdefault(parts[0], parts[1].strip())
    return opts


def format_sol(run: IpoptRun, message: str) -> str:
    """The AMPL .sol text of a run (with Ipopt's bound multipliers as suffixes)."""
    return sol_text(
        message,
        run.duals.size,
        run.x.size,
        run.ampl_code,
        x=run.x,
        duals=run.duals,
        variable_suffixes={"ipopt_zU_out": run.z_upper, "ipopt_zL_out": run.z_lower},
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    nl_path = stub_or_exit(
        args, __doc__, lambda: f"Ipopt {ipopt_version()} (smfe-ipopt {__version__}, via CasADi)"
    )
    if isinstance(nl_path, int):
        return nl_path
    try:
        options = parse_options(
            [a for a in args[1:] if a != "-AMPL"],
            os.environ.get("smfe_ipopt_options"),  # noqa: SIM112 (Pyomo's name)
        )
        text = read_text(nl_path, "stub")
    except (InstanceError, OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"smfe-ipopt: {_one_line(exc)}", file=sys.stderr)
        return 2
    try:
        nl = prepare(text)
    except (ValueError, IndexError, KeyError) as exc:
        print(
            f"smfe-ipopt: {nl_path} is not a readable .nl file ({_one_line(exc)})", file=sys.stderr
        )
        return 2
    n_vars, n_cons, n_compl = nl_counts(text)
    if n_compl:
        return _failed(
            nl_path,
            n_cons,
            n_vars,
            f"{n_compl} complementarity constraints: Ipopt takes none; reformulate them "
            "first (e.g. Pyomo's mpec.simple_nonlinear transformation or its mpec_nlp "
            "meta-solver)",
        )
    try:
        run = solve_nl(nl, options)
    except RuntimeError as exc:  # CasADi refused the model or an option
        return _failed(nl_path, n_cons, n_vars, f"Ipopt could not solve it: {_one_line(exc)}")
    sys.stdout.write(run.log)
    message = f"smfe-ipopt {__version__} (Ipopt via CasADi): {run.status.replace('_', ' ')}"
    print(message)
    nl_path.with_suffix(".sol").write_text(format_sol(run, message))
    return 0


def _failed(nl_path: Path, n_cons: int, n_vars: int, why: str) -> int:
    return fail("smfe-ipopt", nl_path, n_cons, n_vars, why)


def _one_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return " ".join(lines[-2:])[:300] if lines else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
