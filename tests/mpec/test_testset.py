"""The test set's published optima, re-derived by enumerating every branch.

A branch fixes, in every pair, which side is zero; its NLP is solved with Ipopt from the
problem's own start and from ``STARTS`` − 1 random ones. The smallest certified branch
optimum must equal the published value (to ``REACH``): so a transcription error in
tests/mpec/macmpec.py cannot pass as a solver success. Every branch NLP here is convex
except outrata31's, desilva's and design-cent's, for which the multi-start is the check.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import smfe.mpec as mp
from smfe.mpec.branches import snapshot, solve_branch
from smfe.mpec.certify import certify
from smfe.mpec.scholtes import HOMOTOPY_IPOPT

from .macmpec import PROBLEMS, Problem

REACH = 1e-5
STARTS = 4


def enumerated_optimum(p: Problem) -> float:
    model = p.build()
    ref = mp.reformulate(model)
    rng = np.random.default_rng(0)
    ref.from_user()
    base = snapshot(ref.model)
    best = np.inf
    for choice in itertools.product("ab", repeat=len(ref.pairs)):
        for k in range(STARTS):
            for v, val in base:
                x0 = 0.0 if val is None else float(val)
                v.set_value(x0 if k == 0 else x0 + rng.uniform(-3, 3), skip_validation=True)
            br = solve_branch(ref, list(choice), {**HOMOTOPY_IPOPT, "max_iter": 300})
            if br.optimal:
                ref.to_user()
                if certify(model, 1e-7).passed:
                    best = min(best, ref.sign * br.objective)
    return ref.sign * best


@pytest.mark.parametrize("p", [p for p in PROBLEMS if p.enumerate], ids=lambda p: p.name)
def test_published_optimum_is_the_best_branch(p: Problem) -> None:
    assert enumerated_optimum(p) == pytest.approx(p.optimum, rel=REACH, abs=REACH)
