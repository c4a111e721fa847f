"""The shape of a pipeline's flow: fork bodies and their joins, split paths and their merges.

Pure functions of the pipeline definition, shared by the runner and by validation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from metalus_py.base.exceptions import PipelineException
from metalus_py.model.pipeline import Pipeline, PipelineStep


@dataclass(frozen=True)
class ForkBody:
    """The steps run once per value of a fork step, and the join that closes it (if any)."""

    fork_id: str
    steps: tuple[str, ...]
    join_id: str | None


@dataclass(frozen=True)
class SplitPath:
    """One path of a split step: its steps and the merge it ends at (``None``: the pipeline end)."""

    root: str
    steps: tuple[str, ...]
    merge_id: str | None


def successors(step: PipelineStep) -> list[str]:
    """Every step id the flow may go to after ``step``."""
    targets: list[str] = []
    if step.type_name in ("branch", "split"):
        targets.extend(p.value for p in step.params if p.type_name == "result" and isinstance(p.value, str))
    elif step.next_step_id:
        targets.append(step.next_step_id)
    if step.next_step_on_error:
        targets.append(step.next_step_on_error)
    return targets


class FlowStructure:
    """Fork bodies and split paths of one pipeline, computed on first use."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.steps = pipeline.step_map()
        self._forks: dict[str, ForkBody] = {}
        self._join_targets = {s.next_step_id for s in pipeline.steps if s.type_name == "join" and s.next_step_id}

    def is_join_target(self, step_id: str) -> bool:
        return step_id in self._join_targets

    def fork_body(self, fork_id: str) -> ForkBody:
        """The body of fork step ``fork_id``: a join closes the innermost open fork (Metalus 2.0).

        Raises:
            PipelineException: nested forks that are not closed by joins.
        """
        cached = self._forks.get(fork_id)
        if cached is not None:
            return cached
        fork = self.steps[fork_id]
        order = {s.id: i for i, s in enumerate(self.pipeline.steps)}
        seen: dict[str, int] = {}
        join_id: str | None = None
        unclosed: list[str] = []
        queue: deque[tuple[str, int]] = deque((t, 0) for t in successors(fork))
        while queue:
            step_id, depth = queue.popleft()
            step = self.steps.get(step_id)
            if step is None or step_id in seen:
                continue
            if step.type_name == "join":
                if depth == 0:
                    join_id = join_id or step_id
                    continue
                seen[step_id] = depth
                queue.extend((t, depth - 1) for t in successors(step))
                continue
            seen[step_id] = depth
            inner = depth + 1 if step.type_name == "fork" else depth
            nexts = successors(step)
            if step.type_name == "fork" and not nexts:
                unclosed.append(step_id)
            if not nexts and depth > 0:
                unclosed.append(step_id)
            queue.extend((t, inner) for t in nexts)
        nested_open = [s for s, d in seen.items() if self.steps[s].type_name == "fork" and self._ends_open(s, seen)]
        if join_id is None and nested_open:
            names = ",".join([fork_id, *nested_open])
            raise PipelineException(
                f"Fork step(s) ({names}) must be closed by join when embedding other forks!",
                step_id=fork_id,
                pipeline_id=self.pipeline.id,
            )
        body = ForkBody(fork_id, tuple(sorted(seen, key=lambda s: order.get(s, 0))), join_id)
        self._forks[fork_id] = body
        return body

    def _ends_open(self, fork_id: str, seen: dict[str, int]) -> bool:
        """Whether nested fork ``fork_id`` reaches the pipeline end without a join."""
        queue: deque[tuple[str, int]] = deque((t, 0) for t in successors(self.steps[fork_id]))
        visited: set[str] = set()
        while queue:
            step_id, depth = queue.popleft()
            step = self.steps.get(step_id)
            if step is None or step_id in visited:
                continue
            visited.add(step_id)
            if step.type_name == "join" and depth == 0:
                return False
            inner = depth + 1 if step.type_name == "fork" else depth - 1 if step.type_name == "join" else depth
            queue.extend((t, inner) for t in successors(step))
        return True

    def split_paths(self, split_id: str) -> list[SplitPath]:
        """The paths of split step ``split_id``, each followed to its merge or the pipeline end.

        Raises:
            PipelineException: fewer than two paths, or a step shared by two paths.
        """
        split = self.steps[split_id]
        roots = [p.value for p in split.params if p.type_name == "result" and isinstance(p.value, str)]
        if len(roots) < 2:
            raise PipelineException(
                "At least two paths need to be defined to use a split step!", step_id=split_id,
                pipeline_id=self.pipeline.id,
            )
        paths: list[SplitPath] = []
        owner: dict[str, str] = {}
        for root in roots:
            visited: list[str] = []
            merge_id: str | None = None
            queue = deque([root])
            while queue:
                step_id = queue.popleft()
                step = self.steps.get(step_id)
                if step is None or step_id in visited:
                    continue
                if step.type_name == "merge":
                    merge_id = merge_id or step_id
                    continue
                visited.append(step_id)
                queue.extend(successors(step))
            for step_id in visited:
                if owner.setdefault(step_id, root) != root:
                    raise PipelineException(
                        "Step Ids must be unique across split flows!", step_id=split_id, pipeline_id=self.pipeline.id
                    )
            paths.append(SplitPath(root, tuple(visited), merge_id))
        return paths
