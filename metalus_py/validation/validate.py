"""Checks of a whole application document (DESIGN.md section 5a).

``validate_document`` runs every check and returns one report listing all problems: shapes and
unknown fields (``shapes``), the execution plan (``plan_checks``), each execution's pipelines
(``executions``), every pipeline and step wherever it is defined (``steps``, ``params``),
``className`` objects (``classinfo``), Spark-only sections and ``requiredParameters``. Nothing
runs and nothing is written. To add a check, add a function to the module of its concern and
call it from here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from metalus_py.base.allowed import AllowedPackages
from metalus_py.base.exceptions import ApplicationError
from metalus_py.base.problems import ValidationReport
from metalus_py.base.secret_names import remember_secret_values
from metalus_py.model.application import SPARK_ONLY_SECTIONS, Application
from metalus_py.model.loader import (
    JsonSyntaxError,
    nesting_beyond_limit,
    parse_json,
    read_text,
    unwrap_application,
)
from metalus_py.steps.resolution import StepResolver
from metalus_py.validation.classinfo import allowed_classes, check_class_info_sections
from metalus_py.validation.executions import check_execution, check_globals
from metalus_py.validation.lookup import FoundPipeline, PipelineLibrary
from metalus_py.validation.plan_checks import check_plan
from metalus_py.validation.shapes import Broken, build_model, check_unknown_fields, json_path
from metalus_py.validation.steps import PipelineChecker
from metalus_py.validation.usage import check_usage

__all__ = ["json_path", "validate_document", "validate_file"]


def validate_file(
    location: str, *, parameters: Mapping[str, Any] | None = None, strict: bool = False
) -> ValidationReport:
    """Read, parse and check an application file; syntax errors are reported with line and column."""
    report = ValidationReport(location)
    try:
        document = parse_json(read_text(location), location)
    except JsonSyntaxError as exc:
        report.error("", str(exc).removeprefix(f"{location}: "), "fix the JSON syntax at that line and column")
        return report
    except ApplicationError as exc:
        report.error("", str(exc).removeprefix(f"{location}: "))
        return report
    return validate_document(document, source=location, parameters=dict(parameters or {}), strict=strict,
                             nesting_checked=True)


def validate_document(
    document: Any, *, source: str, parameters: Mapping[str, Any], strict: bool = False,
    nesting_checked: bool = False,
) -> ValidationReport:
    """Every problem of an application document; nothing is run.

    Args:
        document: the parsed JSON (the ``{"application": {...}}`` wrapper is accepted).
        source: the file it came from (named in every problem; its folder holds ``pipelines/``).
        parameters: command-line parameters (``requiredParameters`` are checked against them).
        strict: unknown fields are errors instead of warnings.
        nesting_checked: ``document`` comes from :func:`~metalus_py.model.loader.parse_json`, which
            already refused documents nested too deeply.

    Returns:
        The report; ``report.raise_for_errors()`` raises when it holds an error.
    """
    report = ValidationReport(source)
    document = unwrap_application(document)
    if isinstance(document, dict):  # secret-named globals never appear in what validation prints
        remember_secret_values(document.get("globals"), parameters)
    too_deep = None if nesting_checked else nesting_beyond_limit(document)
    if too_deep is not None:
        report.error("", too_deep, "flatten the deepest values")
        return report
    broken = Broken()
    application = build_model(Application, document, report, "", broken)
    if application is None:
        return report
    check_unknown_fields(Application, document, report, "", strict=strict)
    checks = ValidationReport(source)
    with allowed_classes(AllowedPackages(application.step_packages)):
        _check_application(application, document, parameters, checks, strict, broken)
    for problem in checks.problems:
        if not broken.hides(problem.path, problem.message):
            report.add(problem)
    report.used_globals = checks.used_globals
    if report.ok:
        report.application = application
        report.document = document
    return report


def _check_application(
    application: Application, document: dict[str, Any], parameters: Mapping[str, Any],
    report: ValidationReport, strict: bool, broken: Broken,
) -> None:
    missing = [name for name in application.required_parameters if name not in parameters]
    if missing:
        report.error("requiredParameters", f"Missing required parameters: {','.join(missing)}",
                     "give each as --name value on the command line")
    for section in SPARK_ONLY_SECTIONS:
        if document.get(section) is not None:
            report.warning(section, f"{section!r} only means something to Spark; it is ignored", subject=section)
    policy = AllowedPackages(application.step_packages)
    for index, package in enumerate(application.step_packages):
        refused = policy.why_not_package(package)
        if refused:
            report.error(f"stepPackages[{index}]", f"step package {refused}", subject=package)
        elif not _importable(package):
            report.warning(f"stepPackages[{index}]", f"step package {package!r} cannot be imported",
                           "put its folder on PYTHONPATH or beside the application file", subject=package)
    if not application.executions:
        report.error("executions", "the application has no executions (expected a non-empty list 'executions')")
    check_globals(document.get("globals"), report, "globals")
    check_class_info_sections(document, report, "")
    library = PipelineLibrary(report.source, application.step_packages, report, strict, broken)
    library.manager = _built_pipeline_manager(application)
    checker = PipelineChecker(report, StepResolver(application.step_packages), library, strict, broken)
    app_pipelines = [FoundPipeline(p, f"pipelines[{i}]") for i, p in enumerate(application.pipelines)]
    for found in app_pipelines:
        library.add_application_pipeline(found)
    for found in app_pipelines:
        checker.check(found)
    check_plan(application, report)
    raw_executions = document.get("executions")
    for index, execution in enumerate(application.executions):
        raw = raw_executions[index] if isinstance(raw_executions, list) and index < len(raw_executions) else None
        check_execution(index, execution, raw, application, checker)
    while library.pending:
        checker.check(library.pending.pop(0))
    usage = ValidationReport(report.source)
    report.used_globals = check_usage(application, document, checker, parameters, usage)
    for problem in usage.problems:
        report.add(replace(problem, severity="error") if strict and problem.severity == "warning" else problem)


def _built_pipeline_manager(application: Application) -> Any:
    """The application's ``pipelineManager`` object, when it names one that builds (else ``None``;
    a class that does not build is reported by the class-info checks)."""
    if application.pipeline_manager is None or not application.pipeline_manager.class_name:
        return None
    if AllowedPackages(application.step_packages).why_not_class_path(application.pipeline_manager.class_name):
        return None  # reported by the class-info checks; never built
    from metalus_py.plan.class_info import build_class_info

    try:
        return build_class_info(application.pipeline_manager)
    except Exception:  # noqa: BLE001 - reported elsewhere
        return None


def _importable(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False
    except Exception:  # noqa: BLE001 - a parent package failed to import
        return False

