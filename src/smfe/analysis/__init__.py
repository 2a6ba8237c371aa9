"""Studies built on the solvers: the softmax error as τ → 0."""

from smfe.analysis.tau_sweep import TauSweep, plot_tau_sweep, tau_sweep

__all__ = ["TauSweep", "plot_tau_sweep", "tau_sweep"]
