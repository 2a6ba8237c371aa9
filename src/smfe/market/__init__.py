"""The energy market (SPEC §8): equitable tariff design for prosumers as an S-MFE.

:mod:`.data` the instance (every number tagged [S]/[C]/[A]), :mod:`.supply` the wholesale
side, :mod:`.tariff` the leader's
decision families, :mod:`.game` the market compiled into a :class:`~smfe.Game`,
:mod:`.metrics` outcomes and the leader objective, :mod:`.leader` the reduced-space solver,
:mod:`.solve` baselines + optimum + cross-check, :mod:`.report` tables, JSON and figures.
"""

from smfe.market.data import (
    Battery,
    Flexibility,
    IncomeGroup,
    MarketInstance,
    Weather,
    reference_instance,
)
from smfe.market.game import MarketGame, market_game
from smfe.market.metrics import Weights
from smfe.market.solve import TariffStudy, solve_tariff
from smfe.market.supply import Supply
from smfe.market.tariff import TariffFamily

__all__ = [
    "Battery",
    "Flexibility",
    "IncomeGroup",
    "MarketGame",
    "MarketInstance",
    "Supply",
    "TariffFamily",
    "TariffStudy",
    "Weather",
    "Weights",
    "market_game",
    "reference_instance",
    "solve_tariff",
]
