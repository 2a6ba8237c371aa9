"""Options and result of :func:`smfe.mpec.solve`.

The game methods return :class:`smfe.solvers.result.Result`, whose fields are game
quantities (θ, policies, flows). A Pyomo MPEC has none of those, so its answer is an
:class:`MPECResult` on the same status types: a typed :class:`~smfe.solvers.status.Status`
(termination and solution), an :class:`~smfe.solvers.status.Optimality`, and a certificate
computed on the user's own model, independently of the reformulation that solved it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smfe.errors import InstanceError
from smfe.solvers.options import OptionsBase, require_positive
from smfe.solvers.status import Optimality, Status

STRATEGIES = ("auto", "global", "homotopy")
SCIP_FORMS = ("sos1", "bilinear")


@dataclass(frozen=True)
class MPECOptions(OptionsBase):
    """Options of :func:`smfe.mpec.solve`.

    Homotopy: ε runs ``eps_start, eps_start·eps_factor, …`` down to ``eps_final``;
    ``starts`` > 1 adds starting points drawn (seed ``seed``) uniformly in the variables'
    boxes (an unbounded side spans ±``spread``·max(1, |value|) around the user's value).
    Stationarity: up to ``max_enumeration`` biactive pairs are enumerated (2^n branch NLPs);
    beyond, the label comes from multipliers. A side counts as zero below ``active_tol``.
    Global: SCIP on the pairs as ``scip_form`` (``"sos1"`` or ``"bilinear"``,
    :mod:`smfe.mpec.scip_route`) with ``time_limit`` seconds and feasibility tolerance
    ``feastol``; the label
    is global when SCIP closed its gap and the certified objective lies within
    ``bound_tol``·max(1, |bound|) of SCIP's dual bound. ``auto`` takes ``global`` up to
    ``auto_global_pairs`` pairs, else ``homotopy``. Certificate: complementarity and
    feasibility within ``tol``·max(1, scale of the row). ``ipopt`` / ``scip``: further
    options of either solver.
    """

    eps_start: float = 1.0
    eps_factor: float = 0.1
    eps_final: float = 1e-10
    starts: int = 1
    seed: int = 0
    spread: float = 10.0
    max_enumeration: int = 6
    active_tol: float = 1e-7
    time_limit: float = 60.0
    feastol: float = 1e-7
    bound_tol: float = 1e-6
    auto_global_pairs: int = 40
    scip_form: str = "sos1"
    tol: float = 1e-8
    ipopt: dict[str, Any] = field(default_factory=dict)
    scip: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "eps_start", "eps_final", "spread", "active_tol", "time_limit", "feastol",
            "bound_tol", "tol", "starts",
        ):  # fmt: skip
            require_positive(name, getattr(self, name))
        if not 0.0 < self.eps_factor < 1.0:
            raise InstanceError("options.eps_factor", f"must lie in (0, 1), got {self.eps_factor}")
        if self.eps_final > self.eps_start:
            raise InstanceError(
                "options.eps_final", f"must be ≤ eps_start ({self.eps_start}), got {self.eps_final}"
            )
        if self.scip_form not in SCIP_FORMS:
            raise InstanceError(
                "options.scip_form", f"must be one of {SCIP_FORMS}, got {self.scip_form!r}"
            )
        if not 0 <= self.max_enumeration <= 20:
            raise InstanceError(
                "options.max_enumeration", f"must lie in 0..20, got {self.max_enumeration}"
            )


@dataclass(frozen=True)
class MPECCertificate:
    """Residuals on the user's model at the answer: the largest complementarity residual
    (``|min(a, b)|`` per pair; ``|e|`` for an equality; the natural residual
    ``|v − mid(l, u, v − F)|`` for a box), the largest violation of a constraint or a
    variable bound, and where each is largest."""

    complementarity: float
    complementarity_at: str
    infeasibility: float
    infeasibility_at: str
    tol: float

    @property
    def passed(self) -> bool:
        return self.complementarity <= self.tol and self.infeasibility <= self.tol

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"certificate {verdict} (tol {self.tol:.0e}): complementarity "
            f"{self.complementarity:.2e} at {self.complementarity_at or '-'}, infeasibility "
            f"{self.infeasibility:.2e} at {self.infeasibility_at or '-'}"
        )


@dataclass(frozen=True, eq=False)
class MPECResult:
    """The answer of :func:`smfe.mpec.solve`; the user's model holds its values."""

    strategy: str
    status: Status
    optimality: Optimality
    objective: float
    stationarity: str
    certificate: MPECCertificate
    n_pairs: int
    n_biactive: int
    dual_bound: float = float("nan")
    gap: float = float("nan")
    iterations: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    message: str = ""
    log: str = ""

    @property
    def success(self) -> bool:
        return self.status.ok

    @property
    def complementarity(self) -> float:
        return self.certificate.complementarity

    def summary(self) -> str:
        lines = [
            f"MPEC · strategy {self.strategy} · {self.n_pairs} complementarity pairs",
            f"status        {self.status}   optimality: {self.optimality.value}",
            f"objective     {self.objective:.10g}",
            f"stationarity  {self.stationarity}",
            str(self.certificate),
        ]
        if self.dual_bound == self.dual_bound:
            lines.append(f"dual bound    {self.dual_bound:.10g}   gap {self.gap:.2e}")
        if self.message:
            lines.append(f"message       {self.message}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"MPECResult(strategy={self.strategy!r}, status={self.status}, "
            f"objective={self.objective:.6g}, stationarity={self.stationarity!r})"
        )
