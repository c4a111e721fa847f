"""The restricted evaluator for scripts (DESIGN §14): an AST whitelist.

A script body is a Python *expression* over its bindings. Before it is evaluated its syntax tree
is checked: only literals, names, operators, comparisons, conditionals, subscripts, slices,
comprehensions, lambdas and f-strings are accepted; no name or attribute starting with ``_``
(so no dunders such as ``__class__`` or ``__globals__``); calls only of the safe functions in
:data:`SAFE_FUNCTIONS` or of non-underscore methods of values (``s.lower()``,
``r.primary_return``), never of ``format``/``format_map`` (whose format strings reach
attributes). It is then evaluated with no builtins at all. No import is possible: ``import``
is a statement and ``__import__`` a dunder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["SAFE_FUNCTIONS", "UnsafeScriptError", "check_expression", "safe_eval"]

#: The largest ``range`` a script may build.
MAX_RANGE: Final = 1_000_000


class UnsafeScriptError(ValueError):
    """A script uses something the restricted evaluator does not allow; the message says what."""


def _range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise UnsafeScriptError(f"range of {len(values)} items is larger than {MAX_RANGE}")
    return values


#: The functions a script may call by name.
SAFE_FUNCTIONS: Final[Mapping[str, Any]] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "enumerate": enumerate,
    "filter": filter, "float": float, "int": int, "len": len, "list": list, "map": map, "max": max,
    "min": min, "range": _range, "repr": repr, "reversed": reversed, "round": round, "set": set,
    "sorted": sorted, "str": str, "sum": sum, "tuple": tuple, "zip": zip,
    "None": None, "True": True, "False": False,
}

_FORBIDDEN_METHODS: Final = frozenset({"format", "format_map", "mro"})

_ALLOWED_NODES: Final[tuple[type[ast.AST], ...]] = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript, ast.Slice,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp,
    ast.Call, ast.keyword, ast.Starred, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
    ast.comprehension, ast.Lambda, ast.arguments, ast.arg, ast.JoinedStr, ast.FormattedValue,
    ast.boolop, ast.operator, ast.unaryop, ast.cmpop,
)


def check_expression(body: str, names: Iterable[str] = ()) -> ast.Expression:
    """Parse ``body`` and check it against the whitelist; return its tree.

    Args:
        body: the expression.
        names: the names bound for it (they may not be called: only methods of them).

    Raises:
        UnsafeScriptError: a syntax error, or something the evaluator does not allow.
    """
    try:
        tree = ast.parse(body.strip(), "<script>", mode="eval")
    except SyntaxError as exc:
        raise UnsafeScriptError(f"{exc.msg} in {body!r}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise UnsafeScriptError(f"the script cannot be read: {type(exc).__name__}") from exc
    bound = set(names)
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeScriptError(f"{type(node).__name__} is not allowed in a script")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeScriptError(f"the name {node.id!r} is not allowed in a script (no names starting with '_')")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeScriptError(f"the attribute {node.attr!r} is not allowed in a script "
                                    "(no attributes starting with '_')")
        if isinstance(node, ast.arg) and node.arg.startswith("_"):
            raise UnsafeScriptError(f"the name {node.arg!r} is not allowed in a script")
        if isinstance(node, ast.Call):
            _check_call(node, bound)
    return tree


def _check_call(node: ast.Call, bound: set[str]) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id in SAFE_FUNCTIONS and func.id not in bound:
            return
        raise UnsafeScriptError(f"calling {func.id!r} is not allowed in a script; allowed functions: "
                                f"{', '.join(n for n in SAFE_FUNCTIONS if n[0].islower())}, and methods of values")
    if isinstance(func, ast.Attribute):
        if func.attr in _FORBIDDEN_METHODS:
            raise UnsafeScriptError(f"the method {func.attr!r} is not allowed in a script")
        return
    raise UnsafeScriptError("only named safe functions and methods of values may be called in a script")


def safe_eval(body: str, names: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression with ``names`` bound and no builtins.

    Raises:
        UnsafeScriptError: the expression is not allowed (see :func:`check_expression`).
    """
    tree = check_expression(body, names)
    bad = [name for name in names if name.startswith("_")]
    if bad:
        raise UnsafeScriptError(f"the binding name {bad[0]!r} is not allowed (no names starting with '_')")
    scope: dict[str, Any] = {"__builtins__": {}, **SAFE_FUNCTIONS, **names}
    return eval(compile(tree, "<script>", "eval"), scope)  # noqa: S307 - checked against the whitelist above
