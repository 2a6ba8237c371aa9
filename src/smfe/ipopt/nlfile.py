"""Reading AMPL ``.nl`` files for CasADi's ``NlpBuilder.import_nl``.

CasADi's reader rejects ``#`` comments and ``S`` (suffix) segments, which Pyomo writes.
:func:`prepare` removes both, returning the cleaned text, the suffixes (warm-start values
such as ``ipopt_zL_in``) and the header facts the solution writer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smfe.errors import SolveFailed


@dataclass(frozen=True)
class Suffix:
    """One ``S`` segment: kind 0 var / 1 con / 2 obj / 3 problem; values by index."""

    kind: int
    name: str
    values: dict[int, float]


@dataclass(frozen=True)
class NLFile:
    text: str
    n_vars: int
    n_cons: int
    n_objs: int
    maximize: bool
    suffixes: dict[str, Suffix] = field(default_factory=dict)


def prepare(raw: str) -> NLFile:
    """Strip comments and suffix segments; read sizes and the objective sense."""
    lines = raw.splitlines()
    if not lines or not lines[0].startswith("g"):
        raise SolveFailed("not a text .nl file (binary .nl files are not supported)")
    out: list[str] = []
    suffixes: dict[str, Suffix] = {}
    maximize = False
    i = 0
    while i < len(lines):
        line = lines[i].split("#", 1)[0].rstrip()
        if line.startswith("S"):
            head = line[1:].split()
            kind, count, name = int(head[0]), int(head[1]), head[2]
            vals: dict[int, float] = {}
            for entry in lines[i + 1 : i + 1 + count]:
                idx, val = entry.split("#", 1)[0].split()
                vals[int(idx)] = float(val)
            suffixes[name] = Suffix(kind & 3, name, vals)
            i += 1 + count
            continue
        if line.startswith("O"):
            parts = line[1:].split()
            if parts[0] == "0":
                maximize = parts[1] == "1"
        out.append(line)
        i += 1
    sizes = out[1].split()
    return NLFile(
        text="\n".join(out) + "\n",
        n_vars=int(sizes[0]),
        n_cons=int(sizes[1]),
        n_objs=int(sizes[2]),
        maximize=maximize,
        suffixes=suffixes,
    )
