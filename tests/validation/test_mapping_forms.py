"""Every form of the mapping language is understood by the static checks: no false error or warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metalus_py.cli.main import main

from .builders import Check

ROOT = Path(__file__).resolve().parents[2]


def _step(sid: str, value: Any, nxt: str | None = None, command: str = "ResultSteps.jsonValue",
          name: str = "value", **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"id": sid, "type": "Pipeline", "params": [{"name": name, "type": "text", "value": value}],
                            "engineMeta": {"command": command}}
    if nxt:
        step["nextStepId"] = nxt
    step.update(extra)
    return step


def _every_form() -> dict[str, Any]:
    group = {"id": "GROUP_P", "steps": [_step("G1", "!fromParent", "G2"), _step("G2", "@G1", None)]}
    main_steps = [
        _step("A", "!inputPath", "B"),
        _step("B", "@A || !fallback || literal", "C"),
        _step("C", "#A.count", "D"),
        _step("D", "$A", "E"),
        _step("E", "@LastStepId", "F"),
        _step("F", "@MAIN.A", "G"),
        _step("G", "files: !{inputPath}, @{A}, ${threshold} and !{outputPath}/out.parquet", "H"),
        _step("H", "?A", "I"),
        _step("I", r"\d{5}-[a-z]{2,3} and \!{escaped}", "J"),
        _step("J", "$threshold", "K"),
        {"id": "K", "type": "step-group", "nextStepId": "L",
         "params": [{"name": "pipelineId", "type": "text", "value": "GROUP_P"},
                    {"name": "pipelineMappings", "type": "object", "value": {"fromParent": "@A"}}]},
        {"id": "L", "type": "Pipeline", "nextStepId": "BR",
         "params": [{"name": "anything", "type": "text", "value": "@K"}, {"name": "other", "value": 1}],
         "engineMeta": {"command": "TypedSteps.anything"}},
        {"id": "BR", "type": "branch", "engineMeta": {"command": "ResultSteps.jsonValue"},
         "params": [{"name": "value", "type": "text", "value": "@A"},
                    {"name": "data/in.csv", "type": "result", "value": "LOOP"},
                    {"name": "other", "type": "result", "value": "END"}]},
        _step("LOOP", "@BR", "BR"),
        _step("END", "%credentialName || none"),
    ]
    fork_steps = [_step("FV", "!executionForkValue", "FI"), _step("FI", "!executionForkValueIndex")]
    join_steps = [_step("J1", "!FORK.pipelineParameters.FORK_P.FV.primaryReturn", "J2"),
                  _step("J2", "!FORK.pipelineParameters.FORK_P.FV.namedReturn || !FORK.globals.values")]
    return {
        "stepPackages": ["contract_steps"],
        "globals": {"inputPath": "data/in.csv", "outputPath": "out", "values": [1, 2],
                    "GlobalLinks": {"mainResult": "!ROOT.pipelineParameters.MAIN.A.primaryReturn"}},
        "pipelines": [group],
        "requiredParameters": ["fallback"],
        "executions": [
            {"id": "ROOT", "pipelines": [{"id": "MAIN", "steps": main_steps}],
             "pipelineParameters": {"parameters": [{"pipelineId": "MAIN", "parameters": {"threshold": 3}}]}},
            {"id": "FORK", "executionType": "fork", "forkByValues": "values", "parents": ["ROOT"],
             "pipelines": [{"id": "FORK_P", "steps": fork_steps}]},
            {"id": "JOIN", "executionType": "join", "parents": ["FORK"],
             "pipelines": [{"id": "JOIN_P", "steps": join_steps}]},
            {"id": "LATER", "parents": ["JOIN"],
             "pipelines": [{"id": "LATER_P", "steps": [_step("L1", "!mainResult", "L2"),
                                                      _step("L2", "!ROOT.pipelineParameters.MAIN.A.namedReturns")]}]},
        ],
    }


def test_every_mapping_form_validates_without_a_problem(check: Check) -> None:
    report = check(_every_form(), parameters={"fallback": "x"})
    assert report.ok and not report.problems, report.format()


def test_a_global_given_only_as_an_alternate_is_not_a_warning(check: Check) -> None:
    document = _every_form()
    report = check(document, parameters={"fallback": "x", "unused": "y"})
    assert not [p for p in report.problems if "fallback" in p.message], report.format()


def test_examples_validate_without_warning(capsys: pytest.CaptureFixture[str]) -> None:
    locations = sorted((ROOT / "application_configs").glob("*/application.json"))
    assert len(locations) >= 3
    for location in locations:
        assert main(["validate", str(location)]) == 0
        output = capsys.readouterr()
        assert "0 error(s), 0 warning(s)" in output.out + output.err, output


CORPORA = [ROOT / "tests" / "resources" / "corpus", Path("/work/shared/metalus-corpus")]


def test_corpus_stays_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus application that is valid without the mapping checks is valid with them."""
    import metalus_py.validation.validate as validate_module
    from metalus_py.api import validate_application

    locations = [p for corpus in CORPORA if corpus.exists()
                 for p in sorted([*corpus.glob("applications/*.json"), *corpus.glob("v2/applications/*.json")])]
    valid = 0
    for location in locations:
        with monkeypatch.context() as patched:
            patched.setattr(validate_module, "check_usage", lambda *args, **kwargs: set())
            before = validate_application(str(location), {"rootLogLevel": "INFO"}, source=str(location))
        if not before.ok:
            continue
        after = validate_application(str(location), {"rootLogLevel": "INFO"}, source=str(location))
        assert after.ok, after.format()
        valid += 1
    assert valid >= 9
