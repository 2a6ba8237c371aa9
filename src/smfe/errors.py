"""The typed exceptions of smfe.

Every error a user can provoke is one of these, raised early and naming what is wrong:
bad data (:class:`InstanceError`, with the field and index), a model a method cannot accept
(:class:`FormulationError`), a backend that is not installed (:class:`SolverUnavailable`), a
solver that failed (:class:`SolveFailed`) and an answer whose certificate does not pass
(:class:`NotCertified`).
"""

from __future__ import annotations


class SmfeError(Exception):
    """Base class of every error smfe raises on purpose."""


class InstanceError(SmfeError, ValueError):
    """An instance (game, option set, input file) is invalid.

    ``field`` names the offending field (dotted path, e.g. ``types[1].transition``) and
    ``index`` the offending entry where one can be named.
    """

    def __init__(self, field: str, message: str, index: object = None) -> None:
        self.field = field
        self.index = index
        self.message = message
        where = field if index is None else f"{field}[{_fmt_index(index)}]"
        super().__init__(f"{where}: {message}")


class FormulationError(SmfeError, ValueError):
    """The chosen method or formulation cannot accept this game (checked before any solve)."""


class SolverUnavailable(SmfeError, RuntimeError):
    """The backend a method needs is not installed or not working."""


class SolveFailed(SmfeError, RuntimeError):
    """The solver stopped without a usable point."""


class NotCertified(SmfeError, RuntimeError):
    """A result was asked to be certified and its certificate does not pass."""


def _fmt_index(index: object) -> str:
    if isinstance(index, tuple):
        return ", ".join(str(i) for i in index)
    return str(index)
