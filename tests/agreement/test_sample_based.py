"""The sample-based learner converges to the model-based MFE (error ~ 1/sqrt(samples))."""

from __future__ import annotations

import numpy as np

import smfe

SAMPLE_NU_TOL = 0.05  # L1 distance of ν with 4000 samples per pair


def test_sample_based_learner_matches_the_model_based_mfe() -> None:
    g = smfe.make_instance("garnet", n_states=8, n_actions=3, n_types=2)
    exact = smfe.solve(g, "mfe")
    errs = []
    for n in (250, 4000):
        learned = smfe.solve(g, "sample-mfe", {"samples_per_pair": n, "seed": 3})
        errs.append(
            sum(float(np.abs(a - b).sum()) for a, b in zip(learned.nu, exact.nu, strict=True))
        )
        # honest status: never optimal unless its certificate passes on the true model
        assert learned.status.ok == learned.certificate.passed
    assert errs[1] < SAMPLE_NU_TOL
    assert errs[1] < errs[0]
