"""The input layer: every external input (game files, market instance files, solver options,
θ, command-line values) is validated here, strictly and before any arithmetic, and a refusal
is an :class:`smfe.InstanceError` naming the field path (docs/errors.md).

* :mod:`~smfe.inputs.jsondoc` — files as strict UTF-8 text, JSON parsing with typed errors;
* :mod:`~smfe.inputs.errors` — pydantic errors → field paths, "did you mean";
* :mod:`~smfe.inputs.game_doc` — the schema of the game file;
* :mod:`~smfe.inputs.budget` — the size guard;
* :mod:`~smfe.inputs.theta` — the leader decision θ;
* :mod:`~smfe.inputs.cli_values` — ``--set``, ``--weight``, ``--taus``, JSON flags.

The market instance file is validated by the market dataclasses themselves
(:mod:`smfe.market.instance_file`) and method options by their option dataclasses
(:class:`smfe.solvers.options.OptionsBase`), with the same strict rules.
"""

from smfe.inputs.budget import Budget

__all__ = ["Budget"]
