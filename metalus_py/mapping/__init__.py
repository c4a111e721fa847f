"""Mapping strings: how step parameter values are resolved against the context (DESIGN.md section 4)."""

from metalus_py.mapping.mapper import map_parameter, map_value, resolve_text
from metalus_py.mapping.syntax import PREFIXES, check_mapping_syntax

__all__ = ["PREFIXES", "check_mapping_syntax", "map_parameter", "map_value", "resolve_text"]
