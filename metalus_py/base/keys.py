"""Where things sit inside a run: execution instance keys and step keys, built and printed one way."""

from __future__ import annotations

from typing import NamedTuple

#: Fork-value indexes of an execution instance, outermost first.
Index = tuple[int, ...]


def instance_key(execution_id: str, index: Index | list[int] | None = ()) -> str:
    """``E`` for a plain instance, ``E[1]`` / ``E[1][0]`` for fork values."""
    return execution_id + "".join(f"[{i}]" for i in (index or ()))


def parse_instance_key(key: str) -> tuple[str, Index]:
    """The inverse of :func:`instance_key`."""
    base, _, rest = key.partition("[")
    indexes = tuple(int(p) for p in ("[" + rest).replace("]", "").split("[")[1:]) if rest else ()
    return base, indexes


class StepKey(NamedTuple):
    """Where a step run sits: execution instance key, pipeline and path, printed ``E.P.path``.

    ``path`` names the step inside its pipeline: ``"STEP"``, a fork value ``"FORK[2].INNER"``,
    or a step-group's inner step ``"GROUP.subPipe.SUB"``.
    """

    execution_key: str
    pipeline_id: str
    path: str

    def __str__(self) -> str:
        return f"{self.execution_key}.{self.pipeline_id}.{self.path}"


class Owner(NamedTuple):
    """The parts of an owner id ``host:pid:random`` (a process that claims runs and steps)."""

    host: str
    pid: int | None


def parse_owner(owner: str) -> Owner:
    """Split ``host:pid:random``; ``pid`` is ``None`` when the second part is not a number."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    return Owner(host, int(pid_text) if pid_text.isdigit() else None)
