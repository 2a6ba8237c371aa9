r"""Sparse linear solves used by policy evaluation, stationary distributions and sensitivities.

Direct LU (SuperLU) for small systems; for large ones, where LU of a random transition graph
fills in, restarted GMRES warm-started from the previous iterate. Every answer is checked:
a solve whose relative residual exceeds ``check`` raises :class:`~smfe.errors.SolveFailed`.

Inside :func:`reusing` a :class:`Factors` store, a direct solve asked to ``reuse`` (one whose
matrix is nonsingular for every policy, such as policy evaluation's I − γΠP with γ < 1)
first tries the last LU factors of the same kind of system (same ``what``, same size) —
those of a nearby matrix when a fixed point changes the policy a little at a time — by
iterative refinement,
:math:`x_{k+1} = x_k + \tilde A^{-1}(b - A x_k)`, which converges while
:math:`\rho(I - \tilde A^{-1}A) < 1`. It stops when the true residual
:math:`\|b - Ax\|_\infty \le` ``rtol``·max(1, ‖b‖∞), and gives up (a fresh LU, kept for
the next solves) as soon as a step fails to halve the residual or after
:data:`REFINE_STEPS` steps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from smfe.errors import SolveFailed

DIRECT_MAX = 1000
"""Systems up to this size are factorised directly (LU of a random transition graph fills in:
at 3,000 states it took 50 s where restarted GMRES took 0.3 s)."""

_direct_max: ContextVar[int] = ContextVar("direct_max", default=DIRECT_MAX)

BAND_ENTRIES = 40_000_000
BAND_FLOPS = 3e10
"""Larger systems are still factorised when a reverse Cuthill–McKee ordering gives them a
bandwidth b with n·b <= BAND_ENTRIES and n·b² <= BAND_FLOPS: the worst case of a banded LU
(fill within the band, n·b² operations) then fits memory and about ten seconds — grid and
chain kernels. Random kernels have b ~ n/5 and stay with GMRES (a 15,000-unknown stationary
Garnet system passed n·b <= 4e7 alone, and its LU took 440 s against 3 s). Measured on the
building-evacuation environment (16,000 unknowns, b = 1,312): Newton's steps by LU 1.3 s in
all against 84 s by GMRES."""

BAND_FRACTION = 0.1
"""…and when the bandwidth is at most this fraction of n. A random kernel's RCM bandwidth is
about n/5 whatever n, so small random systems passed the two bounds above: a 3,000-state
Garnet game (b ≈ 600) spent 2.9 s in each LU, 74 s in all, where GMRES takes a fraction of a
second; building evacuation (b/n = 0.08) keeps its LU."""


REFINE_STEPS = 20
"""Most refinement steps on old factors before a fresh LU. One step (a sparse product and
two triangular solves) costs about a tenth of an LU on the utility market (21,600 states:
0.004 s against 0.12–0.2 s); along its MFE fixed point the old factors reached 1e-13 in
2–17 steps (measured over 23 consecutive systems)."""


class Factors:
    """The last LU factors of each kind of system (module docstring), for one thread: used
    from another thread, the store starts afresh (a SuperLU object stays with its thread)."""

    def __init__(self) -> None:
        self._lu: dict[tuple[str, int], spla.SuperLU] = {}
        self._owner = threading.get_ident()
        self.factorisations = 0
        """Fresh LUs taken (and kept)."""
        self.refinements = 0
        """Solves done by refinement on old factors."""

    def get(self, what: str, n: int) -> spla.SuperLU | None:
        if threading.get_ident() != self._owner:
            self._lu.clear()
            self._owner = threading.get_ident()
        return self._lu.get((what, n))

    def put(self, what: str, n: int, factors: spla.SuperLU) -> None:
        self._lu[(what, n)] = factors
        self.factorisations += 1


_factors: ContextVar[Factors | None] = ContextVar("factors", default=None)


@contextmanager
def reusing(factors: Factors | None = None) -> Iterator[Factors]:
    """Direct solves inside the block that allow it first try old LUs (module docstring):
    those of ``factors``, else of the store already in use, else of a new one."""
    store = factors or _factors.get() or Factors()
    token = _factors.set(store)
    try:
        yield store
    finally:
        _factors.reset(token)


def refine(
    A: sp.csc_array, b: NDArray[np.float64], old: spla.SuperLU, rtol: float
) -> NDArray[np.float64] | None:
    """x with ‖b − Ax‖∞ ≤ rtol·max(1, ‖b‖∞) by iterative refinement on the factors ``old`` of
    a nearby matrix, or None when it stops contracting (module docstring)."""
    scale = max(float(np.abs(b).max(initial=0.0)), 1.0)
    x = np.asarray(old.solve(b))
    last = np.inf
    for _ in range(REFINE_STEPS):
        r = b - A @ x
        res = float(np.abs(r).max(initial=0.0)) / scale
        if res <= rtol:
            return x
        if not res <= 0.5 * last:  # not contracting (or NaN)
            return None
        last = res
        x = x + old.solve(r)
    return None


@contextmanager
def direct_solves_up_to(n: int) -> Iterator[None]:
    """Factorise systems up to ``n`` unknowns directly inside the block — for games whose
    kernels are banded (a clock in the state), where LU barely fills in."""
    token = _direct_max.set(max(int(n), DIRECT_MAX))
    try:
        yield
    finally:
        _direct_max.reset(token)


def banded(A: sp.sparray) -> bool:
    """Whether ``A`` is banded enough to factorise (:data:`BAND_FLOPS`)."""
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    A = sp.csr_array(A)
    n = A.shape[0]
    perm = reverse_cuthill_mckee(sp.csr_matrix(A + A.T), symmetric_mode=True)
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    c = A.tocoo()
    bw = int(np.abs(inv[c.row] - inv[c.col]).max(initial=0)) + 1
    return n * bw <= BAND_ENTRIES and n * float(bw) ** 2 <= BAND_FLOPS and bw <= n * BAND_FRACTION


def factorisable(A: sp.sparray) -> bool:
    """Whether linalg factorises ``A`` directly: small (the current direct limit) or banded."""
    return A.shape[0] <= _direct_max.get() or banded(A)


def singular(what: str, detail: str) -> SolveFailed:
    return SolveFailed(f"{what} is singular ({detail})")


def lu(A: sp.csc_array, what: str) -> spla.SuperLU:
    """SuperLU factors of ``A`` (COLAMD, partial pivoting); a singular ``A`` raises SolveFailed."""
    try:
        return spla.splu(sp.csc_array(A))
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise singular(what, str(exc)) from None


def verify(
    A: sp.sparray, x: NDArray[np.float64], b: NDArray[np.float64], check: float, what: str
) -> NDArray[np.float64]:
    """``x`` if ‖A x − b‖∞ ≤ check · max(1, ‖b‖∞), else SolveFailed."""
    return verify_residual(A @ x - b, b, check, what, x)


def verify_residual(
    r: NDArray[np.float64], b: NDArray[np.float64], check: float, what: str, x: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``x`` if its residual ``r`` = A x − b has ‖r‖∞ ≤ check · max(1, ‖b‖∞), else
    SolveFailed."""
    scale = max(float(np.abs(b).max(initial=0.0)), 1.0)
    res = float(np.abs(r).max(initial=0.0)) / scale
    if not np.isfinite(res) or res > check:
        raise SolveFailed(f"{what}: relative residual {res:.2e} after the solve")
    return x


def solve(
    A: sp.sparray,
    b: NDArray[np.float64],
    x0: NDArray[np.float64] | None = None,
    *,
    rtol: float = 1e-13,
    check: float = 1e-8,
    what: str = "linear system",
    transposed: bool = False,
    reuse: bool = False,
) -> NDArray[np.float64]:
    """Solve ``A x = b`` (b may be (n,) or (n, k)); raise SolveFailed if it cannot.
    ``transposed``: solve ``Aᵀ x = b`` with the factorisation of ``A`` (whose fill-in can
    be far smaller than that of ``Aᵀ``). ``reuse``: inside :func:`reusing`, try the old
    factors of this kind of system first — only for matrices that cannot be singular
    (refinement may converge on a singular system, where a fresh LU says it is singular)."""
    A = sp.csc_array(A)
    n = A.shape[0]
    store = _factors.get()
    if reuse and store is not None and not transposed and b.ndim == 1 and factorisable(A):
        old = store.get(what, n)
        x_old = None if old is None else refine(A, b, old, rtol)
        if x_old is not None:
            store.refinements += 1
            return verify(A, x_old, b, check, what)
        F = lu(A, what)
        store.put(what, n, F)
        x = np.asarray(F.solve(b))
    elif transposed or b.ndim == 2 or factorisable(A):
        x = np.asarray(lu(A, what).solve(b, trans="T" if transposed else "N"))
        if transposed:
            A = sp.csc_array(A.T)
    else:
        x, info = spla.gmres(A, b, x0=x0, rtol=rtol, atol=0.0, restart=60, maxiter=400)
        if info != 0:
            x, info = spla.bicgstab(A, b, x0=x, rtol=rtol, atol=0.0, maxiter=20 * n)
        x = np.asarray(x)
    return verify(A, x, b, check, what)
