"""Step fingerprints: what decides whether a notebook run may reuse a step's recorded output.

A step's fingerprint hashes its definition (without the fields that only wire the flow), the
source of its function and the fingerprints of its inputs: the globals its mapping strings
read (their values; values that are not JSON are hashed by content), the steps and parent
steps they read (their fingerprints), and for what cannot be followed exactly (``?``
templates, ``LastStepId``, a ``pipelineContext`` parameter) everything that ran before it.
Equal fingerprints mean the step would compute the same output, so an edit re-runs the edited
step and the steps that depend on it, and nothing else. Pure functions over the application
document; nothing runs here. ``None`` means "never reuse" (steps of fork executions, steps
whose function cannot be found, inputs that cannot be hashed).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: Step fields that only wire the flow or describe the step: editing them reuses the output.
_WIRING = frozenset({"nextStepId", "nextStepOnError", "displayName", "description", "category", "tags"})
_EMBEDDED = re.compile(r"([!$@#?%&])\{([^}]*)\}")
_CONTEXT_NAMES = frozenset({"pipelineContext", "pipeline_context"})
#: Global names whose values are secret (DESIGN.md section 14): never hashed plainly.
_SECRET_NAME = re.compile(r"(password|passwd|secret|token|apikey|api_key|accesskey|privatekey|credential)$", re.I)
#: Secret values are hashed with a key that lives only in this process: a stored fingerprint
#: never lets anyone test a guess, at the price of no reuse across kernel restarts for them.
_PROCESS_KEY = os.urandom(32)

Resolve = Callable[[str, "str | None"], Callable[..., Any]]


def _sha(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def value_fingerprint(value: Any) -> str | None:
    """A content hash of a global's value (JSON, frames, Arrow tables, picklable objects)."""
    try:
        return _sha("json", json.dumps(value, sort_keys=True, allow_nan=True))
    except (TypeError, ValueError):
        pass
    import polars as pl
    import pyarrow as pa

    if isinstance(value, pa.Table):
        converted = pl.from_arrow(value)
        value = converted if isinstance(converted, pl.DataFrame) else value
    if isinstance(value, pl.DataFrame):
        digest = hashlib.sha256()
        if value.width and value.height:
            for buffer in value.hash_rows(seed=0).to_arrow().buffers():
                if buffer is not None:
                    digest.update(memoryview(buffer))
        return _sha("frame", str(value.schema), str(value.height), digest.hexdigest())
    if isinstance(value, pl.LazyFrame):
        return _sha("lazy", value.explain(optimized=False))
    if isinstance(value, Mapping):
        parts = [(str(k), value_fingerprint(v)) for k, v in value.items()]
        return None if any(p is None for _, p in parts) else _sha("map", repr(sorted(parts)))
    if isinstance(value, list | tuple):
        items = [value_fingerprint(v) for v in value]
        return None if any(i is None for i in items) else _sha("list", repr(items))
    try:
        return _sha("pickle", pickle.dumps(value, protocol=4).hex())
    except Exception:  # not picklable: never reused
        return None


def global_fingerprint(name: str, value: Any) -> str | None:
    """A global's fingerprint: its value's, keyed per process where a name (at any depth) or value is secret."""
    if _looks_secret(name, value):
        text = json.dumps(value, sort_keys=True, default=repr)
        return "k" + hmac.new(_PROCESS_KEY, text.encode("utf-8", "surrogatepass"), "sha256").hexdigest()[:31]
    if isinstance(value, Mapping):
        parts = [(str(k), global_fingerprint(str(k), v)) for k, v in value.items()]
        return None if any(p is None for _, p in parts) else _sha("map", repr(sorted(parts)))
    if isinstance(value, list | tuple):
        items = [global_fingerprint(name, v) for v in value]
        return None if any(i is None for i in items) else _sha("list", repr(items))
    return value_fingerprint(value)


def _looks_secret(name: str, value: Any) -> bool:
    from metalus_py.base.secrets import Secret

    return isinstance(value, Secret) or bool(_SECRET_NAME.search(name))


def function_fingerprint(function: Callable[..., Any]) -> str:
    """The function's source (its code object where no source is found) and its defaults."""
    target = inspect.unwrap(function)
    try:
        text = inspect.getsource(target)
    except (OSError, TypeError):
        code = getattr(target, "__code__", None)
        text = repr((code.co_code, code.co_consts, code.co_names)) if code is not None else repr(target)
    defaults = (getattr(target, "__defaults__", None), getattr(target, "__kwdefaults__", None))
    return _sha("function", text, repr(defaults))


def references(value: Any) -> list[tuple[str, str]]:
    """The ``(prefix, path)`` pairs a parameter value maps (``!a.b`` -> ``("!", "a.b")``)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        for inner_prefix, inner in _EMBEDDED.findall(value):
            found.append((inner_prefix, inner.strip()))
        for part in value.split("||"):
            part = part.strip()
            if part and part[0] in "!$@#?%&" and "{" not in part[:2]:
                found.append((part[0], part[1:]))
    elif isinstance(value, Mapping):
        for item in value.values():
            found.extend(references(item))
    elif isinstance(value, list | tuple):
        for item in value:
            found.extend(references(item))
    return found


class _Cycle(Exception):
    pass


class Fingerprinter:
    """Fingerprints of every top-level main-pipeline step, keyed ``EXEC.PIPELINE.STEP``.

    Args:
        document: the application file as a dict.
        parameters: the run's globals from the caller (they win over the file's).
        resolve: finds a step function from ``(target, pkg)``.
        global_setters: per execution id, the keys of steps that set globals or links at run
            time (``$globals.`` named returns, known from an earlier run): every global that
            execution reads then depends on them too.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any],
        resolve: Resolve,
        global_setters: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.document = document
        self.parameters = dict(parameters)
        self.resolve = resolve
        self.setters = {k: sorted(v) for k, v in (global_setters or {}).items()}
        self.executions = {str(e.get("id")): e for e in document.get("executions") or []}
        self.shared = {p.get("id"): p for p in document.get("pipelines") or []}
        self.forked = self._forked()
        self._done: dict[str, str | None] = {}
        self._busy: set[str] = set()

    # -- structure -----------------------------------------------------------------------------
    def _forked(self) -> set[str]:
        """Executions run once per fork value (and joins, whose inputs are lists over them)."""
        forked: set[str] = set()
        changed = True
        while changed:
            changed = False
            for eid, entry in self.executions.items():
                kind = str(entry.get("executionType") or "pipeline").lower()
                if eid in forked:
                    continue
                if kind in ("fork", "join") or any(p in forked for p in entry.get("parents") or []):
                    forked.add(eid)
                    changed = True
        return forked

    def pipelines(self, execution_id: str) -> list[Mapping[str, Any]]:
        entry = self.executions[execution_id]
        inline = {p.get("id"): p for p in entry.get("pipelines") or []}
        ids = list(entry.get("pipelineIds") or []) or list(inline)
        return [p for p in (inline.get(i) or self.shared.get(i) for i in ids) if p is not None]

    def ancestors(self, execution_id: str) -> list[str]:
        seen: list[str] = []
        stack = list(self.executions.get(execution_id, {}).get("parents") or [])
        while stack:
            parent = stack.pop()
            if parent not in seen and parent in self.executions:
                seen.append(parent)
                stack.extend(self.executions[parent].get("parents") or [])
        return seen

    def names(self) -> list[str]:
        """Every ``EXEC.PIPELINE.STEP`` of the main pipelines."""
        return [
            f"{eid}.{p.get('id')}.{s.get('id')}"
            for eid in self.executions
            for p in self.pipelines(eid)
            for s in p.get("steps") or []
        ]

    def globals_of(self, execution_id: str) -> dict[str, Any]:
        merged = {**dict(self.document.get("globals") or {}), **dict(self.executions[execution_id].get("globals") or {})}
        merged.update(self.parameters)
        return merged

    def links_of(self, execution_id: str) -> dict[str, Any]:
        links = dict((self.document.get("globals") or {}).get("GlobalLinks") or {})
        for eid in [*reversed(self.ancestors(execution_id)), execution_id]:
            links.update((self.executions[eid].get("globals") or {}).get("GlobalLinks") or {})
        links.update(self.parameters.get("GlobalLinks") or {})
        return links

    # -- fingerprints ----------------------------------------------------------------------------
    def all(self) -> dict[str, str | None]:
        return {name: self.of(name) for name in self.names()}

    def of(self, name: str) -> str | None:
        if name in self._done:
            return self._done[name]
        if name in self._busy:
            raise _Cycle(name)
        self._busy.add(name)
        try:
            value = self._compute(name)
        except _Cycle:
            value = None
        finally:
            self._busy.discard(name)
        self._done[name] = value
        return value

    def _compute(self, name: str) -> str | None:
        execution_id, pipeline_id, step_id = name.split(".", 2)
        if execution_id in self.forked:
            return None
        pipelines = self.pipelines(execution_id)
        index = next((i for i, p in enumerate(pipelines) if p.get("id") == pipeline_id), None)
        if index is None:
            return None
        steps = list(pipelines[index].get("steps") or [])
        position = next((i for i, s in enumerate(steps) if s.get("id") == step_id), None)
        if position is None:
            return None
        step = steps[position]
        if str(step.get("type") or "").lower() == "step-group":
            return None  # its pipeline's functions are not followed: never reused, nor what reads it
        definition = {k: v for k, v in step.items() if k not in _WIRING}
        definition["params"] = [p for p in step.get("params") or [] if str(p.get("type", "")).lower() != "result"]
        parts: list[str | None] = [json.dumps(definition, sort_keys=True, default=str)]
        everything = False
        meta = step.get("engineMeta") or {}
        target = meta.get("command") or meta.get("spark")
        if target:
            try:
                function = self.resolve(str(target), meta.get("pkg"))
            except Exception:
                return None
            parts.append(function_fingerprint(function))
            everything = _takes_context(function)
        step_names = {s.get("id") for s in steps}
        pipeline_ids = {p.get("id"): p for p in pipelines}
        for param in definition["params"]:
            for prefix, path in references([param.get("value"), param.get("defaultValue")]):
                if prefix == "?" or path.split(".")[0] == "LastStepId":
                    everything = True
                    continue
                parts.append(self._reference(execution_id, pipeline_id, step_names, pipeline_ids, prefix, path, set()))
        if everything:
            parts.append(self._before(execution_id, pipelines[: index], steps[:position], pipeline_id))
        if any(p is None for p in parts):
            return None
        return _sha(*(p for p in parts if p is not None))

    def _before(
        self, execution_id: str, pipelines: list[Mapping[str, Any]], steps: list[Mapping[str, Any]], pipeline_id: str
    ) -> str | None:
        """Everything a step may see: earlier steps, every global, every parent step."""
        names = [f"{execution_id}.{p.get('id')}.{s.get('id')}" for p in pipelines for s in p.get("steps") or []]
        names += [f"{execution_id}.{pipeline_id}.{s.get('id')}" for s in steps]
        names += [n for parent in self.ancestors(execution_id) for n in self._execution_steps(parent)]
        prints = [self.of(n) for n in names]
        values = global_fingerprint("globals", self.globals_of(execution_id))
        if values is None or any(p is None for p in prints):
            return None
        return _sha("before", values, *(p for p in prints if p is not None))

    def _execution_steps(self, execution_id: str) -> list[str]:
        return [f"{execution_id}.{p.get('id')}.{s.get('id')}" for p in self.pipelines(execution_id)
                for s in p.get("steps") or []]

    def _reference(
        self,
        execution_id: str,
        pipeline_id: str,
        step_names: set[Any],
        pipelines: Mapping[Any, Mapping[str, Any]],
        prefix: str,
        path: str,
        seen_links: set[str],
    ) -> str | None:
        segments = [s for s in re.split(r"[.\[\]]", path) if s]
        head = segments[0] if segments else ""
        if prefix in "@#$":
            if head in step_names:
                return self.of(f"{execution_id}.{pipeline_id}.{head}")
            if head in pipelines and len(segments) > 1:
                return self.of(f"{execution_id}.{head}.{segments[1]}")
            if prefix == "$":  # a pipeline parameter, or (embedded ``${name}``) a global
                parameters = value_fingerprint(self.executions[execution_id].get("pipelineParameters"))
                value = global_fingerprint(head, self.globals_of(execution_id).get(head))
                return None if parameters is None or value is None else _sha("param", parameters, value)
            return _sha("absent", prefix, path)
        if prefix == "&":
            return value_fingerprint(self.shared.get(head))
        if prefix == "%":
            return _sha("credential", head)
        links = self.links_of(execution_id)
        if head in links and head not in seen_links:
            parts = [
                self._reference(execution_id, pipeline_id, step_names, pipelines, p, q, {*seen_links, head})
                for p, q in references(links[head])
            ]
            return None if any(p is None for p in parts) else _sha("link", *(p for p in parts if p is not None))
        if head in self.executions and head != execution_id:
            if head in self.forked:
                return None
            if len(segments) >= 4 and segments[1] == "pipelineParameters":
                return self.of(f"{head}.{segments[2]}.{segments[3]}")
            prints = [self.of(n) for n in self._execution_steps(head)]
            return None if any(p is None for p in prints) else _sha("execution", *(p for p in prints if p))
        setters = [self.of(n) for n in self.setters.get(execution_id, [])]
        value = global_fingerprint(head, self.globals_of(execution_id).get(head))
        if value is None or any(s is None for s in setters):
            return None
        return _sha("global", head, value, *(s for s in setters if s is not None))


def _takes_context(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return any(name in _CONTEXT_NAMES for name in parameters)
