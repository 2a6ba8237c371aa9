"""The variable layout of an equilibrium system: named blocks stacked into one vector x.

Each block (``theta``, ``V``, ``Q``, ``pi``, ``nu``, ``mu``, ``z``, ``y``, ...) has a shape
— ``(d,)`` for θ, ``(T, n)`` for per-step quantities — bounds, a starting value, and may be
fixed (θ when the MFE alone is solved). Blocks are stored row-major one after the other, so
``x[offset(name) + t*n + i]`` is entry ``(t, i)`` of block ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class VarBlock:
    """One named block of variables with its bounds, start and (optionally) fixed values."""

    name: str
    shape: tuple[int, ...]
    lower: FloatArray
    upper: FloatArray
    start: FloatArray
    fixed: bool = False
    axes: tuple[str, ...] = ()
    """Names of the index sets of each axis (``("T", "S")``), for symbolic backends."""

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1


@dataclass(eq=False)
class Layout:
    """Ordered variable blocks (module docstring)."""

    blocks: list[VarBlock] = field(default_factory=list)
    _offsets: dict[str, int] = field(default_factory=dict)
    size: int = 0

    def add(
        self,
        name: str,
        shape: tuple[int, ...],
        lower: float | FloatArray = -np.inf,
        upper: float | FloatArray = np.inf,
        start: float | FloatArray = 0.0,
        fixed: bool = False,
        axes: tuple[str, ...] = (),
    ) -> None:
        n = int(np.prod(shape)) if shape else 1

        def full(v: float | FloatArray) -> FloatArray:
            return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()

        block = VarBlock(name, shape, full(lower), full(upper), full(start), fixed, axes)
        self._offsets[name] = self.size
        self.blocks.append(block)
        self.size += n

    def __contains__(self, name: str) -> bool:
        return name in self._offsets

    def block(self, name: str) -> VarBlock:
        return self.blocks[[b.name for b in self.blocks].index(name)]

    def offset(self, name: str) -> int:
        return self._offsets[name]

    def slice(self, name: str) -> slice:
        o = self._offsets[name]
        return slice(o, o + self.block(name).size)

    def index(self, name: str, *idx: IntArray | int) -> IntArray:
        """Flat positions of entries ``idx`` (one index array per axis) of block ``name``."""
        b = self.block(name)
        flat = np.ravel_multi_index(tuple(np.asarray(i) for i in idx), b.shape)
        return np.asarray(self._offsets[name] + flat, dtype=np.int64)

    def step(self, name: str, t: int) -> IntArray:
        """Flat positions of row ``t`` of a (T, n) block."""
        b = self.block(name)
        n = b.shape[1]
        return np.arange(n, dtype=np.int64) + self._offsets[name] + t * n

    def vector(self, attr: str) -> FloatArray:
        """``lower``, ``upper`` or ``start`` of every block, stacked."""
        parts = [getattr(b, attr) for b in self.blocks]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def fixed_mask(self) -> NDArray[np.bool_]:
        parts = [np.full(b.size, b.fixed) for b in self.blocks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)

    def values(self, x: FloatArray) -> dict[str, FloatArray]:
        """Split a full vector into its blocks, each in its shape."""
        return {b.name: x[self.slice(b.name)].reshape(b.shape) for b in self.blocks}

    def set_start(self, name: str, values: FloatArray) -> None:
        """Replace the starting value of block ``name`` (any shape with the block's size)."""
        self.block(name).start[:] = np.asarray(values, dtype=np.float64).ravel()
