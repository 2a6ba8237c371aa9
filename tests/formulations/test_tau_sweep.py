"""The softmax-error sweep: measured gaps shrink with τ and respect the Boltzmann bound."""

from __future__ import annotations

from pathlib import Path

import smfe
from smfe.analysis import plot_tau_sweep, tau_sweep
from smfe.cli import main


def test_sweep_on_a_leader_mdp(tmp_path: Path) -> None:
    sweep = tau_sweep(smfe.make_instance("leader-mdp"), [0.1, 0.01, 0.003])
    assert sweep.exact.status.ok
    assert [r["tau"] for r in sweep.rows] == [0.1, 0.01, 0.003]
    for r in sweep.rows:
        assert r["soft_status"] == "optimal (converged)"
        assert r["boltzmann_error"] <= r["boltzmann_bound"] + 1e-12  # 2|A| exp(−δ/τ), per state
    gaps = [r["leader_gap"] for r in sweep.rows]
    assert gaps[0] > gaps[1] > gaps[2]
    sweep.to_csv(tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_text().startswith("tau,leader_gap")
    assert plot_tau_sweep(sweep, tmp_path / "s.png").stat().st_size > 10_000


def test_value_gap_at_fixed_mean_field_respects_the_regularised_bound() -> None:
    # two-state: the leader pins the mean field (p = p*), so the follower value gap is at a
    # fixed ν, where τ·log|A|/(1 − γ) is a proven bound
    sweep = tau_sweep(smfe.make_instance("two-state"), [0.3, 0.03])
    for r in sweep.rows:
        assert r["value_gap"] <= r["value_bound"] + 1e-9


def test_cli_tau_sweep(tmp_path: Path) -> None:
    assert main(["tau-sweep", "two-state", "--taus", "0.1,0.01", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "two-state-tau-sweep.png").exists()
    assert (tmp_path / "two-state-tau-sweep.csv").exists()


def test_cli_export(tmp_path: Path) -> None:
    assert main(["export", "two-state", "--out", str(tmp_path / "m.nl")]) == 0
    assert (tmp_path / "m.nl").read_text().startswith("g3")
    assert (
        main(["export", "two-state", "--formulation", "mpec", "--out", str(tmp_path / "m.gms")])
        == 0
    )
    assert "EQUATIONS" in (tmp_path / "m.gms").read_text()
    assert main(["export", "two-state", "--out", str(tmp_path / "m.lp")]) == 2  # nonlinear
