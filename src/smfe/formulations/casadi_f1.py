r"""F1 soft-NLP assembled directly in CasADi from the compiled game (vectorised).

The same variables and equations as :mod:`smfe.formulations.soft_nlp` — the Pyomo model is
the formulation of record, exportable and inspectable — but written as a handful of sparse
matrix expressions instead of one expression per scalar, so that CasADi's derivative setup
is linear in the number of non-zeros. Reading a large Pyomo ``.nl`` file into CasADi builds
one graph node per scalar operation and its derivative setup grows much faster than the
model (measured in ``benchmarks/soft_nlp_scaling.py``); this backend removes that stage.
The two routes are cross-checked in the tests (same residuals at the same point, same
solutions).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import SolverUnavailable
from smfe.formulations.bounds import aggregate_ranges, reward_bound, value_bound
from smfe.formulations.built import F1Run
from smfe.game.compiled import CompiledGame
from smfe.ipopt.backend import casadi_options
from smfe.ipopt.status import translate
from smfe.solvers.mfe import MFESolution

FloatArray = NDArray[np.float64]


def _dm(mat: Any) -> Any:
    """A scipy sparse matrix as a CasADi sparse DM."""
    import casadi as ca

    csc = sp.csc_matrix(mat)
    csc.sum_duplicates()
    csc.sort_indices()
    n, m = csc.shape
    if csc.nnz == 0:
        return ca.DM(n, m)
    pattern = ca.Sparsity(n, m, csc.indptr.tolist(), csc.indices.tolist())
    return ca.DM(pattern, csc.data)  # non-zeros in CasADi's column-major order


@dataclass
class CasadiF1:
    """The NLP (``x``, ``f``, ``g``, bounds, start) and the slices to read it back."""

    nlp: dict[str, Any]
    lbx: FloatArray
    ubx: FloatArray
    lbg: FloatArray
    ubg: FloatArray
    x0: FloatArray
    slices: dict[str, slice]
    theta_fixed: FloatArray | None
    cg: CompiledGame
    notes: list[str] = field(default_factory=list)


def build_casadi_f1(
    cg: CompiledGame, theta: FloatArray | None, start: MFESolution | None
) -> CasadiF1:
    """F1 for ``cg.game`` (θ fixed if given: the MFE alone, objective 0)."""
    try:
        import casadi as ca
    except ImportError:
        raise SolverUnavailable("casadi is not installed") from None
    g = cg.game
    T, n_s, n_sa, M, ny, d = cg.T, cg.n_s, cg.n_sa, g.n_prices, g.n_leader_aggregates, g.n_theta
    tau, gamma, finite = g.tau, cg.gamma, g.finite
    sizes = {
        "theta": 0 if theta is not None else d,
        "V": T * n_s,
        "Q": T * n_sa,
        "pi": T * n_sa,
        "nu": T * n_sa,
        "mu": T * n_s,
        "z": T * M,
        "y": T * ny,
    }
    slices: dict[str, slice] = {}
    off = 0
    for k, n in sizes.items():
        slices[k] = slice(off, off + n)
        off += n
    x = ca.MX.sym("x", off)
    th = ca.DM(theta) if theta is not None else x[slices["theta"]]

    def blk(name: str, t: int, n: int) -> Any:
        s = slices[name]
        return x[s.start + t * n : s.start + (t + 1) * n]

    S = _dm(cg.expand)
    SumA = _dm(cg.expand.T)
    P0, Pj = _dm(cg.P0), [_dm(P) for P in cg.Pj]
    P0T, PjT = _dm(cg.P0.T), [_dm(P.T) for P in cg.Pj]
    RT, E0T, EthT = _dm(cg.R.T), _dm(cg.E0.T), _dm(cg.Eth.T)
    G, H0, Hth = _dm(cg.G), _dm(cg.H0), _dm(cg.Hth)
    a, b, c = (ca.DM(cg.p_coef[:, i]) for i in range(3))
    r0 = ca.DM(cg.r0)
    eqs: list[Any] = []

    def P_times(v: Any) -> Any:
        out = ca.mtimes(P0, v)
        for j, Pm in enumerate(Pj):
            out = out + th[j] * ca.mtimes(Pm, v)
        return out

    def PT_times(v: Any) -> Any:
        out = ca.mtimes(P0T, v)
        for j, Pm in enumerate(PjT):
            out = out + th[j] * ca.mtimes(Pm, v)
        return out

    keep_rows = np.setdiff1d(np.arange(n_s), cg.first_state)
    for t in range(T):
        V, Q, pi, nu, mu = (
            blk("V", t, n_s),
            blk("Q", t, n_sa),
            blk("pi", t, n_sa),
            blk("nu", t, n_sa),
            blk("mu", t, n_s),
        )
        r = r0 + (ca.mtimes(RT, th) if d else 0)
        if M:
            z = blk("z", t, M)
            p = a + b * z + c * z * z
            if cg.kinked:
                p = ca.vertcat(
                    *[
                        g.prices[k].evaluate(z[k], exp=ca.exp, log=ca.log)
                        if k in cg.kinked
                        else p[k]
                        for k in range(M)
                    ]
                )
            r = r + ca.mtimes(E0T, p)
            if d and cg.Eth.nnz:
                r = r + ca.mtimes(EthT, ca.kron(p, th))
            eqs.append(z - ca.mtimes(G, nu))
        if finite:
            cont = P_times(blk("V", t + 1, n_s)) if t + 1 < T else 0
        else:
            cont = P_times(V)
        eqs.append(Q - r - gamma * cont)
        eqs.append(pi - ca.exp((Q - ca.mtimes(S, V)) / tau))
        eqs.append(ca.mtimes(SumA, pi) - 1)
        eqs.append(nu - ca.mtimes(S, mu) * pi)
        if finite:
            eqs.append(mu - (ca.DM(cg.mu0) if t == 0 else PT_times(blk("nu", t - 1, n_sa))))
        else:
            inflow = PT_times(nu)
            eqs.append(mu[keep_rows.tolist()] - inflow[keep_rows.tolist()])
            mass = ca.vertcat(
                *[
                    ca.sum1(mu[int(cg.state_off[k]) : int(cg.state_off[k + 1])])
                    for k in range(cg.n_types)
                ]
            )
            eqs.append(mass - 1)
        if ny:
            yv = ca.mtimes(H0, nu)
            if d and cg.Hth.nnz:
                yv = yv + ca.mtimes(ca.reshape(ca.mtimes(Hth, nu), d, ny).T, th)
            eqs.append(blk("y", t, ny) - yv)
    n_eq = sum(int(e.shape[0]) for e in eqs)
    lbg = [np.zeros(n_eq)]
    ubg = [np.zeros(n_eq)]
    dec = g.decision
    if theta is None and d:
        if dec.A_eq is not None and dec.b_eq is not None:
            eqs.append(ca.mtimes(ca.DM(dec.A_eq), th))
            lbg.append(dec.b_eq)
            ubg.append(dec.b_eq)
        if dec.A_ub is not None and dec.b_ub is not None:
            eqs.append(ca.mtimes(ca.DM(dec.A_ub), th))
            lbg.append(np.full(dec.b_ub.size, -np.inf))
            ubg.append(dec.b_ub)
    f: Any = 0
    if theta is None:
        o = g.objective
        J: Any = o.constant
        if o.theta_linear is not None:
            J += ca.dot(ca.DM(o.theta_linear), th)
        if o.theta_quadratic is not None:
            J += 0.5 * ca.dot(th, ca.mtimes(ca.DM(o.theta_quadratic), th))
        for t in range(T):
            y = blk("y", t, ny)
            if o.y_linear is not None:
                J += ca.dot(ca.DM(o.y_linear), y)
            if o.y_quadratic is not None:
                J += 0.5 * ca.dot(y, ca.mtimes(ca.DM(o.y_quadratic), y))
            if o.theta_y is not None:
                J += ca.dot(th, ca.mtimes(ca.DM(o.theta_y), y))
        f = -J
    vb = value_bound(cg)
    qb = reward_bound(cg) + gamma * vb
    lbx = np.full(off, -np.inf)
    ubx = np.full(off, np.inf)
    if theta is None and d:
        lbx[slices["theta"]] = dec.lower
        ubx[slices["theta"]] = dec.upper
    if np.isfinite(vb):
        lbx[slices["V"]], ubx[slices["V"]] = -vb, vb
        lbx[slices["Q"]], ubx[slices["Q"]] = -qb, qb
    for k in ("pi", "nu", "mu"):
        lbx[slices[k]], ubx[slices[k]] = 0.0, 1.0
    if M:
        zr = aggregate_ranges(cg)
        lbx[slices["z"]] = np.tile(zr[:, 0], T)
        ubx[slices["z"]] = np.tile(zr[:, 1], T)
    x0 = np.zeros(off)
    x0[slices["pi"]] = 0.5
    if theta is None and d:
        x0[slices["theta"]] = g.start() if start is None else start.theta
    if start is not None:
        x0[slices["V"]] = start.value[:T].ravel()
        x0[slices["Q"]] = start.q.ravel()
        x0[slices["pi"]] = start.policy.ravel()
        x0[slices["nu"]] = start.nu.ravel()
        x0[slices["mu"]] = start.mu.ravel()
        if M:
            x0[slices["z"]] = cg.aggregates(start.nu).ravel()
        if ny:
            x0[slices["y"]] = cg.leader_aggregates(start.theta, start.nu).ravel()
    nlp = {"x": x, "f": f, "g": ca.vertcat(*eqs)}
    return CasadiF1(nlp, lbx, ubx, np.concatenate(lbg), np.concatenate(ubg), x0, slices, theta, cg)


def solve_casadi_f1(model: CasadiF1, options: dict[str, Any] | None = None) -> F1Run:
    """Solve with Ipopt (CasADi), returning flat game arrays (θ, V, Q, π, ν, μ)."""
    import casadi as ca

    cg = model.cg
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "ipopt.log")
        # expand=False: expanding the sparse MX graph to SX made set-up superlinear (measured)
        opts = casadi_options(log_path, options, expand=False)
        t0 = time.perf_counter()
        solver = ca.nlpsol("smfe_f1", "ipopt", model.nlp, opts)
        t_setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = solver(x0=model.x0, lbx=model.lbx, ubx=model.ubx, lbg=model.lbg, ubg=model.ubg)
        t_solve = time.perf_counter() - t0
        stats = solver.stats()
        del solver
        log = Path(log_path).read_text() if os.path.exists(log_path) else ""
    status = str(stats.get("return_status", "unknown"))
    term, sol, _ = translate(status)
    xv = np.asarray(res["x"]).ravel()
    T = cg.T
    s = model.slices
    V = xv[s["V"]].reshape(T, cg.n_s)
    if cg.game.finite:
        V = np.vstack([V, np.zeros((1, cg.n_s))])
    theta = model.theta_fixed if model.theta_fixed is not None else xv[s["theta"]]
    values = {
        "theta": np.array(theta, dtype=float),
        "V": V,
        "Q": xv[s["Q"]].reshape(T, cg.n_sa),
        "pi": xv[s["pi"]].reshape(T, cg.n_sa),
        "nu": xv[s["nu"]].reshape(T, cg.n_sa),
        "mu": xv[s["mu"]].reshape(T, cg.n_s),
    }
    return F1Run(
        values,
        status,
        term,
        sol,
        int(stats.get("iter_count", 0)),
        {"setup": t_setup, "ipopt": t_solve},
        log,
    )
