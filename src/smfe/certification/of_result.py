"""``certify(game, result)``: the certificate of a :class:`~smfe.solvers.result.Result`,
recomputed from the game (it certifies what the result claims; see the function)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from smfe.certification.certificate import Certificate, Tolerances, certify_point
from smfe.game.compiled import compile_game
from smfe.game.model import Game

if TYPE_CHECKING:  # the Result type imports the certificate, so it is an annotation here
    from smfe.solvers.result import Result


def certify(
    game: Game,
    result: Result,
    tolerances: Tolerances | None = None,
    leader: bool | None = None,
) -> Certificate:
    """Certify ``result`` for ``game`` from scratch (see the module docstring).

    It certifies what the result claims: the MFE conditions always, and first-order
    stationarity of θ (the total gradient: by implicit differentiation for soft responses,
    else by finite differences of re-solved MFEs) only for a result of a leader method
    (``result.leader_optimised``) — an MFE at a fixed θ never claimed a leader optimum.
    ``leader`` overrides that choice.
    """
    if leader is None:
        leader = bool(getattr(result, "leader_optimised", False))
    from smfe.solvers.leader import total_gradient

    cg = compile_game(game)
    theta = np.asarray(result.theta, dtype=np.float64)
    nu = cg.from_types(list(result.nu), "result.nu")
    pi = cg.from_types(list(result.policy), "result.policy")
    V = cg.states_from_types(list(result.value), "result.value") if result.value else None
    if not game.finite:
        nu, pi = nu[None, :], pi[None, :]
        V = None if V is None else V[None, :]
    grad = None
    if leader and game.n_theta:
        grad = total_gradient(cg, theta, nu, V)
    return certify_point(
        cg, theta, nu, pi, V, leader_gradient=grad, tolerances=tolerances, leader=leader
    )
