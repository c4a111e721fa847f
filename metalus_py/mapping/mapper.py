"""Resolving parameter values: Metalus's mapping language (DESIGN.md section 4, metalus-spec 3).

``map_parameter`` is the entry point for a step parameter; ``resolve_text`` resolves one
mapping string (alternates, templates, prefixed tokens, literals).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from metalus_py.base.classes import build_object
from metalus_py.mapping.coercion import cast_to_type
from metalus_py.mapping.extract import extract_path
from metalus_py.mapping.scripts import is_script, run_script
from metalus_py.mapping.syntax import PREFIXES, TEMPLATE, contains_special, split_alternates, split_indexes
from metalus_py.steps.context import GLOBAL_LINKS
from metalus_py.steps.response import StepResponse

if TYPE_CHECKING:
    from metalus_py.model.pipeline import Parameter
    from metalus_py.steps.context import PipelineContext

_QUALIFIABLE = "@#$?"


def map_parameter(param: Parameter, ctx: PipelineContext) -> Any:
    """The value of one step parameter: ``value`` (else ``defaultValue``) mapped and cast.

    When ``value`` maps to ``None`` the ``defaultValue`` is used, itself mapped like a value.
    """
    if param.has_value():
        raw = param.value
        if type(raw) is str and param.type_name == "text" and not param.class_name:
            value = resolve_text(raw, ctx)  # the common case: a text mapping string, nothing to cast
        else:
            value = map_value(raw, ctx, type_name=param.type_name, class_name=param.class_name, name=param.name)
        if value is None and param.has_default():
            value = map_value(
                param.default_value, ctx, type_name=param.type_name, class_name=param.class_name, name=param.name
            )
        return value
    if param.has_default():
        return map_value(
            param.default_value, ctx, type_name=param.type_name, class_name=param.class_name, name=param.name
        )
    return None


def map_value(
    raw: Any,
    ctx: PipelineContext,
    *,
    type_name: str = "text",
    class_name: str | None = None,
    name: str | None = None,
) -> Any:
    """Map a raw parameter value (string, number, boolean, list or map) and cast it to ``type_name``."""
    kind = type_name.lower()
    if isinstance(raw, str):
        if kind == "script":
            return raw
        if kind == "result" and is_script(raw):
            return run_script(raw, lambda text: resolve_text(text, ctx))
        value = resolve_text(raw, ctx)
    elif isinstance(raw, list):
        value = map_list(raw, ctx, class_name=class_name)
    elif isinstance(raw, Mapping):
        value = map_map(raw, ctx, class_name=class_name)
    else:
        value = raw
    return cast_to_type(value, kind, name=name)


def resolve_text(text: str, ctx: PipelineContext, *, links: bool = True) -> Any:
    """Resolve a mapping string: the first alternate (``a || b``) that gives a value wins."""
    for kind, piece in _pieces(text):
        if kind is _LITERAL:
            return piece
        value = render_templates(piece, ctx, links=links) if kind is _TEMPLATE else resolve_token(
            piece, ctx, links=links
        )
        if value is not None:
            return value
    return None


_LITERAL, _TEMPLATE, _TOKEN = "literal", "template", "token"


@lru_cache(maxsize=65536)
def _pieces(text: str) -> tuple[tuple[str, str], ...]:
    """A mapping string split once into its alternates, each classified (cached: strings repeat)."""
    pieces: list[tuple[str, str]] = []
    for piece in split_alternates(text):
        if not piece:
            continue
        if TEMPLATE.search(piece):
            pieces.append((_TEMPLATE, piece))
        elif piece[0] in PREFIXES:
            pieces.append((_TOKEN, piece))
        elif piece[0] == "\\" and len(piece) > 1 and piece[1] in PREFIXES:
            pieces.append((_LITERAL, piece[1:]))
        else:
            pieces.append((_LITERAL, piece))
    return tuple(pieces)


def render_templates(text: str, ctx: PipelineContext, *, links: bool = True) -> Any:
    """Replace each ``!{...}``-style template in ``text``; an object value replaces the whole string."""
    out: list[str] = []
    position = 0
    for match in TEMPLATE.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        escaped, prefix, body = match.groups()
        if escaped:
            out.append(f"{prefix}{{{body}}}")
            continue
        value = resolve_token(prefix + body.strip(), ctx, links=links)
        if value is None:
            out.append("None")
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, str):
            out.append(str.__str__(value))  # a Secret's real value: the step receives it (DESIGN §14)
        elif isinstance(value, int | float | Decimal):
            out.append(str(value))
        else:
            return value
    out.append(text[position:])
    return "".join(out)


def resolve_token(token: str, ctx: PipelineContext, *, links: bool = True) -> Any:
    """Resolve one prefixed token such as ``@step.field``, ``!global``, ``$pipeline.param``."""
    prefix, segments = _token_parts(token)
    if not segments:
        return None
    pipeline_id = ctx.pipeline_id or ""
    if prefix in _QUALIFIABLE and len(segments) > 1 and _is_pipeline(segments[0], ctx):
        pipeline_id, segments = segments[0], segments[1:]
    name, path = segments[0], list(segments[1:])
    base, indexes = split_indexes(name)
    if indexes and not _exists(prefix, name, pipeline_id, ctx):
        name = base
        path = [f"[{i}]" for i in indexes] + path
    value = _lookup(prefix, name, pipeline_id, ctx, links=links)
    if value is None:
        return None
    if path:
        methods = prefix == "%" or _flag(ctx.globals.get("extractMethodsEnabled"))
        value = extract_path(value, path, methods_enabled=methods)
    if prefix == "?" and isinstance(value, str):
        return resolve_text(value, ctx, links=links)
    return value


@lru_cache(maxsize=65536)
def _token_parts(token: str) -> tuple[str, tuple[str, ...]]:
    body = token[1:]
    return token[0], tuple(body.split(".")) if body else ()


def _lookup(prefix: str, name: str, pipeline_id: str, ctx: PipelineContext, *, links: bool) -> Any:
    if prefix in "@#":
        if name.lower() == "laststepid":
            name = str(ctx.globals.get("lastStepId") or "")
        stored = ctx.parameters.get(pipeline_id, name)
        if not isinstance(stored, StepResponse):
            return stored if prefix == "@" else None
        return stored.primary_return if prefix == "@" else stored.named_returns
    if prefix in "$?":
        return ctx.parameters.get(pipeline_id, name)
    if prefix == "!":
        link_map = ctx.globals.get(GLOBAL_LINKS) if links else None
        if isinstance(link_map, Mapping) and name in link_map:
            expression = link_map[name]
            return resolve_text(expression, ctx, links=False) if isinstance(expression, str) else expression
        return ctx.globals.get(name)
    if prefix == "&":
        return ctx.services.pipeline_manager.get_pipeline(name)
    if prefix == "%":
        provider = ctx.services.credential_provider
        return provider.get_named_credential(name) if provider is not None else None
    return None


def _exists(prefix: str, name: str, pipeline_id: str, ctx: PipelineContext) -> bool:
    if prefix == "!":
        return name in ctx.globals
    if prefix in "@#$?":
        return ctx.parameters.contains(pipeline_id, name)
    return False


def _is_pipeline(candidate: str, ctx: PipelineContext) -> bool:
    return ctx.parameters.has_pipeline(candidate) or candidate in ctx.services.pipeline_ids


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _drop_none(ctx: PipelineContext) -> bool:
    value = ctx.globals.get("dropNoneFromLists", True)
    return not (value is False or (isinstance(value, str) and value.lower() == "false"))


def map_map(raw: Mapping[str, Any], ctx: PipelineContext, *, class_name: str | None = None) -> Any:
    """Resolve the mapping strings inside a map; build ``class_name`` from it when given."""
    if class_name:
        if raw.get("category") == "step-group":
            return build_object(class_name, dict(raw))
        return build_object(class_name, map_embedded(raw, ctx))
    return map_embedded(raw, ctx)


def map_embedded(raw: Mapping[str, Any], ctx: PipelineContext) -> dict[str, Any]:
    """Resolve strings containing a prefix character, nested maps, lists and ``className`` objects."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        result[key] = _map_element(value, ctx, keep_none=True)
    return result


def map_list(raw: list[Any], ctx: PipelineContext, *, class_name: str | None = None) -> list[Any]:
    """Resolve each element; ``None`` results are dropped unless ``dropNoneFromLists`` is false."""
    if class_name:
        return [build_object(class_name, map_embedded(e, ctx)) if isinstance(e, Mapping) else e for e in raw]
    keep_none = not _drop_none(ctx)
    mapped: list[Any] = []
    for element in raw:
        value = _map_element(element, ctx, keep_none=keep_none)
        if value is _DROP:
            continue
        mapped.append(value)
    return mapped


_DROP = object()


def _map_element(value: Any, ctx: PipelineContext, *, keep_none: bool) -> Any:
    if isinstance(value, str):
        if not contains_special(value):
            return value
        resolved = resolve_text(value, ctx)
        return _DROP if resolved is None and not keep_none else resolved
    if isinstance(value, Mapping):
        class_name = value.get("className")
        if isinstance(class_name, str) and ("object" in value or "parameters" in value):
            args = value.get("object", value.get("parameters")) or {}
            return build_object(class_name, map_embedded(args, ctx) if isinstance(args, Mapping) else {})
        return map_embedded(value, ctx)
    if isinstance(value, list):
        return map_list(value, ctx)
    return value
