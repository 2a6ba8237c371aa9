"""Write a formulation's model file: ``.nl`` (AMPL), ``.gms`` (GAMS), ``.lp`` / ``.mps``.

``.lp`` and ``.mps`` hold only linear (and quadratic) models; F1 and F2 are nonlinear, so
asking for them raises a :class:`~smfe.errors.FormulationError` that says so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from smfe.errors import FormulationError
from smfe.files import check_outputs
from smfe.formulations.built import Built
from smfe.game.model import Game

FORMATS = ("nl", "gms", "lp", "mps")
LINEAR_ONLY = ("lp", "mps")


def build(game: Game, formulation: str, theta: NDArray[np.float64] | None = None) -> Built:
    """Build ``formulation`` (``soft-nlp`` or ``mpec``) for ``game``; θ fixed if given."""
    if formulation == "soft-nlp":
        from smfe.formulations.soft_nlp import SoftNLPOptions, build_soft_nlp

        return build_soft_nlp(game, SoftNLPOptions(theta=theta, objective="leader"))
    if formulation == "mpec":
        from smfe.formulations.exact_mpec import MPECOptions, build_exact_mpec

        return build_exact_mpec(game, MPECOptions(theta=theta))
    raise FormulationError(f"unknown formulation {formulation!r}; known: soft-nlp, mpec")


def export(
    built: Built,
    path: str | Path,
    fmt: str | None = None,
    *,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
) -> Path:
    """Write ``built.model`` to ``path`` in ``fmt`` (default: the file suffix).

    A ``.nl`` file comes with its ``.row``/``.col`` name files. Every file is checked first
    (never an input of the command; an existing file only with ``force``), written into a
    temporary folder beside the target and then renamed into place.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise FormulationError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt in LINEAR_ONLY:
        raise FormulationError(
            f"{built.formulation} is nonlinear (exponentials and bilinear terms), which .{fmt} "
            "files cannot hold; write .nl or .gms instead"
        )
    if path.suffix.lstrip(".").lower() != fmt:
        path = path.with_suffix("." + fmt)
    targets = [path] + ([path.with_suffix(".row"), path.with_suffix(".col")] if fmt == "nl" else [])
    check_outputs(targets, force=force, inputs=inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyomo_format = {"gms": "gams"}.get(fmt, fmt)
    with tempfile.TemporaryDirectory(prefix=".smfe-export-", dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        try:
            built.model.write(
                str(staged), format=pyomo_format, io_options={"symbolic_solver_labels": True}
            )
        except (ValueError, RuntimeError) as exc:
            raise FormulationError(f"cannot write {built.formulation} as .{fmt}: {exc}") from exc
        for target in targets:
            src = Path(tmp) / target.name
            if src.exists():
                os.replace(src, target)
    return path
