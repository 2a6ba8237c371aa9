"""``smfe.solve``: one entry point for every method, returning one ``Result`` type.

The method is looked up in :mod:`smfe.registry` (``smfe.methods()`` lists them,
``smfe.capabilities()`` says what each takes); a method that cannot take the game says why
before any work. The default (``method=None``) is ``mfe`` for a game without leader decision,
``pgd`` for a soft response with τ > 0, ``leader-pi`` when Θ is a product of simplices, else
``fd-pgd``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from numpy.typing import ArrayLike

from smfe.errors import FormulationError, InstanceError
from smfe.game.model import Game
from smfe.inputs.theta import as_theta
from smfe.registry import default_method
from smfe.registry import method as lookup

if TYPE_CHECKING:
    from smfe.certification.certificate import Tolerances
    from smfe.solvers.result import Result


def solve(
    game: Game,
    method: str | None = None,
    options: Any = None,
    *,
    theta: ArrayLike | None = None,
    tolerances: Tolerances | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> Result:
    """Solve ``game`` with ``method`` (module docstring) and certify the answer.

    ``options`` is the method's option dataclass or a dict of its fields. ``theta`` fixes the
    leader decision for the MFE methods and is the starting point of the leader methods.
    ``progress(it, J, pg)`` is called once per leader iteration.
    """
    if not isinstance(game, Game):
        raise InstanceError("game", f"expected an smfe.Game, got {type(game).__name__}")
    m = lookup(default_method(game) if method is None else method)
    why = m.refuses(game)
    if why is not None:
        raise FormulationError(why)
    th = None if theta is None else as_theta(game, theta)
    option_class, run = m.load()
    opts = _options(option_class, options)
    t0 = time.perf_counter()
    result = run(game, opts, th, tolerances, progress)
    result.timings["total"] = time.perf_counter() - t0
    return result


def _options(cls: Any, options: Any) -> Any:
    if options is None:
        return cls()
    if isinstance(options, cls):
        return options
    if isinstance(options, dict):
        return cls.from_dict(options)
    raise InstanceError(
        "options", f"expected {cls.__name__} or a dict, got {type(options).__name__}"
    )
