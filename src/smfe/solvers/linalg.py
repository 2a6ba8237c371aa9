"""Sparse linear solves used by policy evaluation, stationary distributions and sensitivities.

Direct LU (SuperLU) for small systems; for large ones, where LU of a random transition graph
fills in, restarted GMRES warm-started from the previous iterate. Every answer is checked:
a solve whose relative residual exceeds ``check`` raises :class:`~smfe.errors.SolveFailed`.
"""

from __future__ import annotations

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
) -> NDArray[np.float64]:
    """Solve ``A x = b`` (b may be (n,) or (n, k)); raise SolveFailed if it cannot.
    ``transposed``: solve ``Aᵀ x = b`` with the factorisation of ``A`` (whose fill-in can
    be far smaller than that of ``Aᵀ``)."""
    A = sp.csc_array(A)
    n = A.shape[0]
    if transposed or b.ndim == 2 or factorisable(A):
        x = np.asarray(lu(A, what).solve(b, trans="T" if transposed else "N"))
        if transposed:
            A = sp.csc_array(A.T)
    else:
        x, info = spla.gmres(A, b, x0=x0, rtol=rtol, atol=0.0, restart=60, maxiter=400)
        if info != 0:
            x, info = spla.bicgstab(A, b, x0=x, rtol=rtol, atol=0.0, maxiter=20 * n)
        x = np.asarray(x)
    return verify(A, x, b, check, what)
