"""Validation helpers shared by the game dataclasses.

Each helper converts user input to a read-only NumPy array (a copy: nothing the user gave is
changed later) and raises :class:`~smfe.errors.InstanceError` naming the field and the first
offending index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from smfe.errors import InstanceError

PROB_TOL = 1e-9
"""Probabilities must sum to one within this tolerance (SPEC §1); nothing is renormalised."""

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MAX_ABS = 1e100
"""Numbers of a game must be at most this large in magnitude: products of three of them
(a price slope × an exposure × an aggregate, say) then stay finite in double precision."""


def finite_number(value: object, field: str) -> float:
    """A finite float of magnitude at most :data:`MAX_ABS` (booleans and strings refused)."""
    if isinstance(value, bool | str | bytes):
        raise InstanceError(field, f"must be a number, got {value!r}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InstanceError(field, f"must be a number, got {value!r}") from None
    if not np.isfinite(x) or abs(x) > MAX_ABS:
        raise InstanceError(field, f"must be finite and at most {MAX_ABS:g} in magnitude, got {x}")
    return x


def frozen(a: NDArray[Any]) -> NDArray[Any]:
    """Return ``a`` marked read-only (it is already a private copy)."""
    a.setflags(write=False)
    return a


def first_index(bad: NDArray[np.bool_]) -> tuple[int, ...] | int:
    """The first index where ``bad`` is true, as an int for 1-D arrays and a tuple otherwise."""
    idx = np.argwhere(bad)[0]
    return int(idx[0]) if idx.size == 1 else tuple(int(i) for i in idx)


def float_array(value: object, field: str, shape: tuple[int, ...] | None = None) -> FloatArray:
    """A finite float array of the given shape (``None`` entries of ``shape`` are free)."""
    try:
        a = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InstanceError(field, f"cannot be read as an array of numbers ({exc})") from None
    if shape is not None and a.shape != shape:
        raise InstanceError(field, f"has shape {a.shape}, expected {shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        raise InstanceError(field, f"is not finite ({a[bad].flat[0]})", first_index(bad))
    big = np.abs(a) > MAX_ABS
    if big.any():
        raise InstanceError(
            field, f"is above {MAX_ABS:g} in magnitude ({a[big].flat[0]})", first_index(big)
        )
    return frozen(a)


def bool_array(value: object, field: str, shape: tuple[int, ...]) -> BoolArray:
    a = np.array(value, copy=True)
    if a.shape != shape:
        raise InstanceError(field, f"has shape {a.shape}, expected {shape}")
    if a.dtype != np.bool_:
        if a.dtype.kind not in "biuf":
            raise InstanceError(field, f"must hold booleans (or 0/1), got dtype {a.dtype}")
        bad = ~np.isin(a, (0, 1))
        if bad.any():
            raise InstanceError(field, "must hold only booleans (or 0/1)", first_index(bad))
        a = a.astype(np.bool_)
    return frozen(a)


def distribution(value: object, field: str, n: int) -> FloatArray:
    """A probability vector of length ``n``: entries >= 0 summing to 1 within PROB_TOL."""
    a = float_array(value, field, (n,))
    neg = a < 0
    if neg.any():
        raise InstanceError(
            field, f"has a negative probability {float(a[neg][0])}", first_index(neg)
        )
    if abs(a.sum() - 1.0) > PROB_TOL:
        raise InstanceError(field, f"sums to {float(a.sum())!r}, not 1")
    return a


def transition_matrix(value: object, field: str, n_states: int, n_actions: int) -> sp.csr_array:
    """A transition kernel as a CSR array of shape (S*A, S), row ``x*A + a``.

    Accepts a dense (S, A, S) array, a dense (S*A, S) array or a scipy sparse matrix of
    shape (S*A, S). Row sums are checked by the caller (they depend on the masks).
    """
    shape = (n_states * n_actions, n_states)
    if sp.issparse(value):
        m = sp.csr_array(value, dtype=np.float64, copy=True)
        if m.shape != shape:
            raise InstanceError(field, f"has shape {m.shape}, expected {shape}")
        bad = ~np.isfinite(m.data) | (np.abs(m.data) > MAX_ABS)
        if bad.any():
            raise InstanceError(field, f"has an entry that is not finite or above {MAX_ABS:g}")
    else:
        dense = float_array(value, field)
        if dense.shape == (n_states, n_actions, n_states):
            dense = dense.reshape(shape)
        if dense.shape != shape:
            raise InstanceError(
                field, f"has shape {dense.shape}, expected {(n_states, n_actions, n_states)}"
            )
        m = sp.csr_array(dense)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    return m


def sparse_rows(value: object, field: str, n_pairs: int) -> sp.csr_array:
    """A sparse coefficient matrix (n, S*A), column ``x*A + a``: finite entries of magnitude
    at most MAX_ABS (the row with the first offending entry is named)."""
    m = sp.csr_array(value, dtype=np.float64, copy=True)
    if m.ndim != 2 or m.shape[1] != n_pairs:
        raise InstanceError(field, f"has shape {m.shape}, expected (n, {n_pairs}) (S*A columns)")
    bad = ~np.isfinite(m.data) | (np.abs(m.data) > MAX_ABS)
    if bad.any():
        row = int(np.searchsorted(m.indptr, int(np.flatnonzero(bad)[0]), side="right")) - 1
        raise InstanceError(
            field, f"row {row} has an entry that is not finite or above {MAX_ABS:g}"
        )
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    return m


def check_nonnegative_rows(
    m: sp.csr_array,
    mask: BoolArray,
    field: str,
    n_actions: int,
    where: str = "",
    tol: float = 0.0,
) -> None:
    """Entries of allowed rows (x, a) are >= -tol; the error names (x, a, x')."""
    rows = np.flatnonzero(mask.ravel())
    sub = m[rows]
    neg = sub.data < -tol
    if sub.data.size and neg.any():
        k = int(np.flatnonzero(neg)[0])
        row = int(np.searchsorted(sub.indptr, k, side="right") - 1)
        r = int(rows[row])
        raise InstanceError(
            field,
            f"has a negative probability {float(sub.data[k])}{where}",
            (r // n_actions, r % n_actions, int(sub.indices[k])),
        )


def check_stochastic_rows(
    m: sp.csr_array,
    mask: BoolArray,
    field: str,
    n_actions: int,
    target: float = 1.0,
    where: str = "",
) -> None:
    """Rows of allowed (x, a) are >= 0 and sum to ``target`` within PROB_TOL (``where`` is
    appended to the message, e.g. " at θ = decision.start")."""
    if target == 1.0:
        check_nonnegative_rows(m, mask, field, n_actions, where)
    rows = np.flatnonzero(mask.ravel())
    sub = m[rows]
    sums = np.asarray(sub.sum(axis=1)).ravel()
    bad = np.abs(sums - target) > PROB_TOL
    if bad.any():
        r = int(rows[np.flatnonzero(bad)[0]])
        raise InstanceError(
            field,
            f"row sums to {float(sums[bad][0])!r}, not {target} (state {r // n_actions}, "
            f"action {r % n_actions}){where}",
            (r // n_actions, r % n_actions),
        )
