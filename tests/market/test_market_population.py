"""The finite-population check: the segmented sampler draws the right distribution, a
simulated population's realised mean field approaches the MFE as N grows, its ε-Nash gain is
non-negative and falls with N, and the CLI refuses bad sizes."""

from __future__ import annotations

import numpy as np
import pytest

from smfe.analysis.population import _draw, simulate_population
from smfe.cli import main
from smfe.game.compiled import compile_game
from smfe.market import market_game, reference_instance
from smfe.market.fields import HOURS
from smfe.market.population import population_check
from smfe.solvers.mfe import solve_mfe
from smfe.solvers.options import MFEOptions


def test_segmented_sampler_matches_the_distribution() -> None:
    rng = np.random.default_rng(1)
    probs = np.array([0.2, 0.8, 1.0, 0.1, 0.6, 0.3])  # rows [0, 2), [2, 3), [3, 6)
    start, stop = np.array([0, 2, 3]), np.array([2, 3, 6])
    cum = np.cumsum(probs)
    rows = np.repeat(np.arange(3), 100_000)
    idx = _draw(cum, start[rows], stop[rows], rng)
    assert np.all((idx >= start[rows]) & (idx < stop[rows]))
    freq = np.bincount(idx, minlength=6) / 100_000
    assert freq == pytest.approx(probs, abs=5e-3)  # 5 standard errors of 1e-3 or less


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    mg = market_game(reference_instance(soc_levels=4))
    cg = compile_game(mg.game)
    theta = mg.game.start()
    return mg, cg, theta, solve_mfe(cg, theta, MFEOptions(tol=1e-10))


def test_realised_mean_field_converges_to_the_mfe(small) -> None:  # type: ignore[no-untyped-def]
    mg, cg, theta, sol = small
    per_hour = np.array([ft.mask.shape[0] // HOURS for ft in mg.game.types])
    first = np.concatenate([cg.state_off[k] + np.arange(per_hour[k]) for k in range(cg.n_types)])
    gaps = {}
    for n in (200, 20_000):
        run = simulate_population(
            cg,
            theta,
            sol.policy[0],
            sol.mu[0],
            n,
            periods=2,
            period_length=HOURS,
            first_states=first,
            seed=3,
        )
        assert run.counts.sum() == n
        per_type = np.add.reduceat(run.nu, cg.sa_off[:-1], axis=1)
        assert per_type == pytest.approx(
            np.tile(run.counts / (n * cg.share), (2, 1)), rel=1e-12
        )  # realised shares inside ν
        assert np.all(run.epsilon >= -1e-9)
        z = cg.aggregates(run.nu)
        gaps[n] = (float(np.abs(z - cg.aggregates(sol.nu)).max()), float(run.epsilon.mean()))
    assert gaps[20_000][0] < 0.3 * gaps[200][0]  # ~ 1/√N: a factor 10 expected
    assert gaps[20_000][1] < 0.05 * gaps[200][1]  # ~ 1/N: a factor 100 expected


def test_population_check_reports_rates(small) -> None:  # type: ignore[no-untyped-def]
    mg, _, theta, sol = small
    st = population_check(mg, theta, sol, sizes=(100, 10_000), days=2, seed=0)
    assert [r.n for r in st.rows] == [100, 10_000]
    assert st.rates["epsilon"] < -0.5 and st.rates["load_deviation"] < -0.25
    big = st.rows[-1]
    assert np.abs(big.price - st.mean_field_price).max() < 2.0  # $/MWh
    assert np.abs(big.bills - st.mean_field_bills).max() < 0.01  # $/day


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--simulate", "abc"], "--simulate"),
        (["--simulate", "100,0"], "--simulate"),
        (["--simulate", "100", "--simulate-days", "0"], "--simulate-days"),
        (["--simulate", "100", "--seed", "-1"], "--seed"),
    ],
)
def test_cli_refuses_bad_sizes(argv, needle, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["market", *argv, "--out", str(tmp_path / "o")]) == 2
    assert needle in capsys.readouterr().err
