"""Leader constraints: validation names the field, JSON round-trips, the registry refuses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import smfe
from smfe import registry
from smfe.certification.kkt import kkt_point
from smfe.errors import InstanceError
from smfe.game.serialize import game_from_dict, game_to_dict


def _game(*constraints: smfe.LeaderConstraint) -> smfe.Game:
    return dataclasses.replace(smfe.make_instance("congestion", T=3), constraints=constraints)


@pytest.mark.parametrize(
    ("kwargs", "field", "why"),
    [
        ({"upper": 1.0, "lower": 2.0}, "constraints[c].lower", "exceeds"),
        ({}, "constraints[c].upper", "finite lower or upper"),
        ({"upper": float("nan")}, "constraints[c].upper", "NaN"),
        ({"upper": True}, "constraints[c].upper", "number"),
        ({"upper": 1.0, "y_quadratic": -np.eye(5)}, "constraints[c].y_quadratic", "semi-definite"),
        ({"upper": 1.0, "lower": 0.0, "y_quadratic": np.eye(5)}, "constraints[c].lower", "upper"),
        (
            {"upper": 1.0, "theta_quadratic": np.ones((2, 3))},
            "constraints[c].theta_quadratic",
            "square",
        ),
        ({"upper": 1.0, "constant": float("inf")}, "constraints[c].constant", "finite"),
    ],
)
def test_constraint_validation(kwargs: dict[str, object], field: str, why: str) -> None:
    with pytest.raises(InstanceError, match=why) as exc:
        smfe.LeaderConstraint("c", **kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_game_checks_shapes_and_names() -> None:
    with pytest.raises(InstanceError) as exc:
        _game(smfe.LeaderConstraint("c", upper=1.0, y=np.ones(4)))
    assert exc.value.field == "constraints[c].y"
    c = smfe.LeaderConstraint("c", upper=1.0, theta=np.ones(5))
    with pytest.raises(InstanceError, match="unique") as exc:
        _game(c, c)
    assert exc.value.field == "constraints[c].name"


def test_json_round_trip() -> None:
    g = _game(
        smfe.LeaderConstraint("cap", upper=2.0, y=np.eye(5)[0], constant=0.5),
        smfe.LeaderConstraint("floor", lower=0.1, theta=np.ones(5)),
        smfe.LeaderConstraint("ball", upper=3.0, y_quadratic=np.eye(5)),
        smfe.LeaderConstraint("budget", lower=1.0, upper=1.0, theta=np.ones(5)),
    )
    back = game_from_dict(game_to_dict(g))
    assert [c.name for c in back.constraints] == ["cap", "floor", "ball", "budget"]
    for a, b in zip(g.constraints, back.constraints, strict=True):
        assert (a.lower, a.upper, a.constant) == (b.lower, b.upper, b.constant)
        theta, y = np.arange(5.0), np.linspace(0, 1, 5)
        assert a.value(theta, y) == b.value(theta, y)
    assert back.constraints[3].equality


def test_registry_refuses_before_solving() -> None:
    g = _game(smfe.LeaderConstraint("ball", upper=3.0, y_quadratic=np.eye(5)))
    reg = registry
    assert "sqp" in (reg.method("pgd").refuses(g) or "")
    assert "affine" in (reg.method("milp").refuses(g) or "")
    assert reg.method("sqp").refuses(g) is None
    assert reg.method("soft-nlp").refuses(g) is None
    assert reg.method("mfe").refuses(g) is None  # θ fixed: the rules are only reported


def test_kkt_signs_and_residual() -> None:
    """max θ₁ + θ₂ s.t. g = θ₁ ≤ 1 (binding, λ = 1), θ₂ ≤ 2 (a bound of Θ): KKT holds."""
    dec = smfe.Decision(lower=np.zeros(2), upper=np.array([5.0, 2.0]))
    theta = np.array([1.0, 2.0])
    grad = np.ones(2)
    k = kkt_point(
        dec,
        theta,
        grad,
        np.array([[1.0, 0.0]]),
        np.array([1.0]),
        np.array([-np.inf]),
        np.array([1.0]),
    )
    assert k.residual == pytest.approx(0.0, abs=1e-12)
    assert k.multipliers[0] == pytest.approx(1.0)
    # the same point with the gradient pointing into the constraint is not stationary
    bad = kkt_point(
        dec,
        theta,
        np.array([-1.0, 1.0]),
        np.array([[1.0, 0.0]]),
        np.array([1.0]),
        np.array([-np.inf]),
        np.array([1.0]),
    )
    assert bad.residual == pytest.approx(1.0)
