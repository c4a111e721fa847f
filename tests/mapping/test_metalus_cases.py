"""Every case of Metalus's ``PipelineStepMapperTests`` (metalus-spec 3.11), against metalus_py's mapper.

The fixture context is the one of the spec: three pipelines of parameters, the globals (with
``GlobalLinks``), a pipeline manager holding ``mypipeline`` and a credential provider with
``testCredential``. Where metalus_py deliberately differs (DESIGN.md section 10) or Python has
no equivalent (``Option`` wrappers, ``BigInt``, ``scalascript``), the case id says so and a
comment gives the reason.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import com.acxiom.pipeline as objects
import pytest

from metalus_py.base.credentials import Credential, DefaultCredentialProvider
from metalus_py.base.exceptions import MappingError, PipelineException
from metalus_py.flow.pipeline_flow import map_step_parameters
from metalus_py.mapping import map_parameter, map_value, resolve_text
from metalus_py.model.pipeline import Parameter, Pipeline, PipelineStep
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.resolution import StepResolver
from metalus_py.steps.response import StepResponse
from metalus_py.steps.runtime import MapPipelineManager, RunServices

PARAMETER_TEST = "com.acxiom.pipeline.ParameterTest"
MY_PIPELINE = Pipeline.model_validate(
    {"id": "mypipeline", "steps": [{"id": "s1", "type": "pipeline", "engineMeta": {"spark": "X.y"}}]}
)
GLOBAL_TEST_OBJECT = objects.TestObject(
    int_field=1, string_field="2", bool_field=False, map_field={"globalTestKey1": "globalTestValue1"}
)
PIPELINE_UUID = "30273bbb-983b-43ad-a549-6d23f3c0d143"


def fixture_globals() -> dict[str, Any]:
    return {
        "pipelineId": "pipeline-id-3",
        "lastStepId": "step1",
        "globalString": "globalValue1",
        "globalInteger": 5,
        "globalBoolean": True,
        "globalTestObject": GLOBAL_TEST_OBJECT,
        "link9": "root_value",
        "extractMethodsEnabled": True,
        "complexList": [StepResponse("moo"), StepResponse("moo2")],
        # Python has no Option: Some(x) is x and None is None.
        "optionsList": ["1", "2", None, "3"],
        "numericString": "1",
        "bigIntGlobal": 1,  # Scala BigInt(1) -> Python int
        "booleanString": "true",
        "runtimeGlobal": "$rawKey1",
        "int": 1,
        "long": 1,
        "float": 1.0,
        "double": 1.0,
        "byte": 1,
        "short": 1,
        "char": "\u0001",  # Python has no char type: a one-character string
        "bigdecimal": Decimal(1),
        "string": "stringWithinAnOption",
        "tripleOption": "stringWithinAnOption",  # Some(Some(Some(x))) -> x
        "pipelinesMap": [{"pipelineId": PIPELINE_UUID}],
        "GlobalLinks": {
            "link1": "!{pipelineId}::!{globalBoolean}::#{pipeline-id-1.step2.namedKey2Map.childKey2Integer}"
            "::@{pipeline-id-1.step3}",
            "link2": "@step1",
            "link3": "$step1.primaryReturn",
            "link4": "@pipeline-id-1.step1.primaryKey1String",
            "link5": "$pipeline-id-1.step1.primaryReturn.primaryKey1String",
            "link6": "$pipeline-id-1.step2.namedReturns.namedKey2String",
            "link7": "#pipeline-id-1.step2.namedKey2String",
            "link8": "embedded!{pipelineId}::concat_value",
            "link9": "link_override",
        },
    }


def fixture_parameters() -> dict[str, dict[str, Any]]:
    return {
        "pipeline-id-1": {
            "rawKey1": "rawValue1",
            "red": None,
            "step1": StepResponse(
                {"primaryKey1String": "primaryKey1Value", "primaryKey1Map": {"childKey1Integer": 2}},
                {"namedKey1String": "namedValue1", "namedKey1Boolean": True, "nameKey1List": [0, 1, 2]},
            ),
            "step2": StepResponse(
                None,
                {
                    "namedKey2String": "namedKey2Value",
                    "namedKey2Map": {
                        "childKey2String": "childValue2",
                        "childKey2Integer": 2,
                        "childKey2Map": {"grandChildKey1Boolean": True},
                    },
                },
            ),
            "step3": StepResponse("fred"),
            "nullValue": None,
            "recursiveTest": "$pipeline-id-1.rawKey1",
        },
        "pipeline-id-2": {"rawInteger": 2, "rawDecimal": 15.65},
        "pipeline-id-3": {
            "rawInteger": 3,
            "step1": StepResponse([1, 2, 3], {"namedKey": "namedValue"}),
            "step3": StepResponse("fred_on_the_head"),
        },
    }


def make_context(**extra_globals: Any) -> PipelineContext:
    services = RunServices(
        resolver=StepResolver([]),
        pipeline_manager=MapPipelineManager({"mypipeline": MY_PIPELINE}),
        pipeline_ids=frozenset({"mypipeline"}),
        credential_provider=DefaultCredentialProvider({"testCredential": "secretCredential"}),
    )
    globals_ = fixture_globals()
    globals_.update(extra_globals)
    return PipelineContext(globals=globals_, parameters=PipelineParameters(fixture_parameters()), services=services)


@pytest.fixture
def ctx() -> PipelineContext:
    return make_context()


def param(value: Any = None, type_: str | None = None, **fields: Any) -> Parameter:
    data: dict[str, Any] = {"name": fields.pop("name", "p")}
    if value is not None:
        data["value"] = value
    if type_ is not None:
        data["type"] = type_
    data.update(fields)
    return Parameter.model_validate(data)


# (id, value, type, expected, extra Parameter fields). Unchanged cases are named "case-NN";
# adjusted ones "case-NN-<why>".
CASES: list[tuple[str, Any, str | None, Any, dict[str, Any]]] = [
    ("case-01", "!{bad-value}::concat_value", None, "None::concat_value", {}),
    (
        "case-02",
        "concat_value::\\!{globalBoolean}::!{pipelineId}::\\@{step-value}",
        None,
        "concat_value::!{globalBoolean}::pipeline-id-3::@{step-value}",
        {},
    ),
    (
        "case-03",
        "concat_value::\\!{pipelineId}::!{pipelineId}::\\@{step-value}",
        None,
        "concat_value::!{pipelineId}::pipeline-id-3::@{step-value}",
        {},
    ),
    # Python has no Option: Some(Some("...")) is the plain string, tripleOption the plain value.
    ("case-04-no-option-wrappers", "!{tripleOption}::concat_value", None, "stringWithinAnOption::concat_value", {}),
    ("case-05", "!{pipelineId}::concat_value", None, "pipeline-id-3::concat_value", {}),
    ("case-06", "embedded!{pipelineId}::concat_value", None, "embeddedpipeline-id-3::concat_value", {}),
    ("case-07", "!link8", None, "embeddedpipeline-id-3::concat_value", {}),
    (
        "case-08",
        "!{pipelineId}::!{globalBoolean}::#{pipeline-id-1.step2.namedKey2Map.childKey2Integer}::@{pipeline-id-1.step3}",
        None,
        "pipeline-id-3::true::2::fred",
        {},
    ),
    ("case-09", "!link1", None, "pipeline-id-3::true::2::fred", {}),
    ("case-10", "somestring::!{globalTestObject}::concat_value", None, GLOBAL_TEST_OBJECT, {}),
    ("case-11", "my_script", "script", "my_script", {}),
    ("case-12", True, "boolean", True, {}),
    ("case-13", "true", "boolean", True, {}),
    ("case-14", 1, "integer", 1, {}),
    ("case-15", "15", "integer", 15, {}),
    # Scala BigInt(5) is a Python int.
    ("case-16-bigint-is-int", 5, "integer", 5, {}),
    # The "decimal" variant: a Decimal value cast to integer.
    ("case-17-decimal-to-integer", Decimal(5), "integer", 5, {}),
    ("case-18", ["5"], "integer", ["5"], {}),
    ("case-19", None, "string", "default value", {"defaultValue": "default value"}),
    ("case-20", "!globalString", "string", "globalValue1", {}),
    ("case-21", "!link9", "string", "link_override", {}),
    ("case-22", "!globalBoolean", "boolean", True, {}),
    ("case-23", "!globalInteger", "integer", 5, {}),
    ("case-24", "!globalTestObject", "text", GLOBAL_TEST_OBJECT, {}),
    ("case-25", "!globalTestObject.intField", "integer", 1, {}),
    ("case-26", "$pipeline-id-1.rawKey1", "string", "rawValue1", {}),
    ("case-27", "$rawInteger", "integer", 3, {}),
    ("case-28", "!fred", "string", None, {}),
    ("case-29", "$fred", "string", None, {}),
    ("case-30", "$pipeline-id-1.red", "string", None, {}),
    ("case-31", "$pipeline-id-2.rawInteger", "integer", 2, {}),
    ("case-32", "$pipeline-id-2.rawDecimal", "decimal", 15.65, {}),
    ("case-33", "@step1", "text", [1, 2, 3], {}),
    ("case-34", "!link2", "text", [1, 2, 3], {}),
    ("case-35", "$step1.primaryReturn", "text", [1, 2, 3], {}),
    ("case-36", "!link3", "text", [1, 2, 3], {}),
    ("case-37", "@pipeline-id-1.step1.primaryKey1String", "string", "primaryKey1Value", {}),
    ("case-38", "!link4", "string", "primaryKey1Value", {}),
    ("case-39", "$pipeline-id-1.step1.primaryReturn.primaryKey1String", "string", "primaryKey1Value", {}),
    ("case-40", "!link5", "string", "primaryKey1Value", {}),
    ("case-41", "$pipeline-id-1.step2.namedReturns.namedKey2String", "string", "namedKey2Value", {}),
    ("case-42", "!link6", "string", "namedKey2Value", {}),
    ("case-43", "#pipeline-id-1.step2.namedKey2String", "string", "namedKey2Value", {}),
    ("case-44", "!link7", "string", "namedKey2Value", {}),
    ("case-45", "#pipeline-id-1.step2.nothing", "string", None, {}),
    ("case-46", "#step1.namedKey", "string", "namedValue", {}),
    # ParameterTest(Some("fred"), Some(3)) -> a dataclass without Option fields.
    ("case-47", {"string": "fred", "num": 3}, None, objects.ParameterTest("fred", 3), {"className": PARAMETER_TEST}),
    ("case-48", {"string": "fred", "num": 3}, None, {"string": "fred", "num": 3}, {}),
    ("case-49", "&mypipeline", None, MY_PIPELINE, {}),
    ("case-50", "&mypipeline1", None, None, {}),
    ("case-51", "!invalidGlobalString", None, None, {}),
    ("case-52", "$nullValue || default string", None, "default string", {}),
    ("case-53", "?pipeline-id-1.recursiveTest", None, "rawValue1", {}),
    ("case-54", "$pipeline-id-1.recursiveTest", None, "$pipeline-id-1.rawKey1", {}),
    ("case-55", "@LastStepId", "text", [1, 2, 3], {}),
    ("case-56", "!not_here || @LastStepId", "text", [1, 2, 3], {}),
    # A Python list has no ``nonEmpty``: the equivalent method call (extractMethodsEnabled) is
    # ``__len__``; 3 cast to boolean is true.
    ("case-57-python-method-len", "@LastStepId.__len__", "boolean", True, {}),
    ("case-58", {"list": ["!globalString"]}, "text", {"list": ["globalValue1"]}, {}),
    # scalascript is rejected by validation (DESIGN 5a): the same binding syntax in a Python
    # ``result`` script. Cases 59-63.
    (
        "case-59-python-result-script",
        "(list:!complexList:Option[List[StepResponse]])\n[r.primary_return for r in list]",
        "result",
        ["moo", "moo2"],
        {},
    ),
    ("case-60-python-result-script", '()("moo", 1)', "result", ("moo", 1), {}),
    (
        "case-61-python-result-script",
        "(list:!optionsList:List[Option[String]]) [v for v in list if v is not None]",
        "result",
        ["1", "2", "3"],
        {},
    ),
    ("case-62-python-result-script", "(s:cChickens\\:Rule\\\\:String) s.lower()[1:]", "result", "chickens:rule\\", {}),
    (
        "case-63-python-result-script",
        f'(pipelines:!pipelinesMap:List[Map[String,Any]]) any(p["pipelineId"] == "{PIPELINE_UUID}" for p in pipelines)',
        "result",
        True,
        {},
    ),
    ("case-64", "!numericString", "int", 1, {}),
    ("case-65-bigint-is-int", "!numericString", "bigInt", 1, {}),
    ("case-66", "!numericString", "double", 1.0, {}),
    ("case-67-long-is-int", "!bigIntGlobal", "long", 1, {}),
    ("case-68", "!bigIntGlobal", "BigDecimal", Decimal(1), {}),
    ("case-69", "!bigIntGlobal", "String", "1", {}),
    ("case-70", "!booleanString", "boolean", True, {}),
    ("case-71", "!runtimeGlobal", "text", "$rawKey1", {}),
    ("case-72", None, "text", "default chosen", {"defaultValue": "default chosen"}),
    ("case-73", "%testCredential.name", "text", "testCredential", {}),
    ("case-74", "%testCredential.value", "text", "secretCredential", {}),
    ("case-75", "\\%testCredential%", "text", "%testCredential%", {}),
]

EXPECTED_TYPES = {
    "case-16-bigint-is-int": int,
    "case-17-decimal-to-integer": int,
    "case-64": int,
    "case-65-bigint-is-int": int,
    "case-66": float,
    "case-67-long-is-int": int,
    "case-68": Decimal,
    "case-69": str,
    "case-60-python-result-script": tuple,
}


def test_all_75_cases_are_listed() -> None:
    numbers = [int(case_id.split("-")[1]) for case_id, *_ in CASES]
    assert numbers == list(range(1, 76))


@pytest.mark.parametrize(("value", "type_", "expected", "extra"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mapping_case(
    ctx: PipelineContext, request: pytest.FixtureRequest, value: Any, type_: str | None, expected: Any,
    extra: dict[str, Any],
) -> None:
    result = map_parameter(param(value, type_, **extra), ctx)
    case_id = request.node.callspec.id
    if expected is GLOBAL_TEST_OBJECT or expected is MY_PIPELINE:
        assert result is expected
    else:
        assert result == expected
    if expected is None:
        assert result is None
    if case_id in EXPECTED_TYPES:
        assert type(result) is EXPECTED_TYPES[case_id]
    if isinstance(expected, bool):
        assert result is expected


def test_case_57_method_needs_extract_methods_enabled() -> None:
    ctx = make_context(extractMethodsEnabled=False)
    with pytest.raises(MappingError) as error:
        map_parameter(param("@LastStepId.__len__", "boolean"), ctx)
    assert error.value.message == (
        "Unable to extract: [list.__len__]. __len__ is a method. "
        "To enable method extraction, set the global [extractMethodsEnabled] to true."
    )


def test_credentials_resolve_to_the_credential(ctx: PipelineContext) -> None:
    credential = map_parameter(param("%testCredential"), ctx)
    assert isinstance(credential, Credential)
    assert credential.value == "secretCredential"
    assert "secretCredential" not in repr(credential)
    assert map_parameter(param("%missingCredential"), ctx) is None


class _Opaque:
    pass


def test_other_value_types_pass_through(ctx: PipelineContext) -> None:
    # Metalus: a Long value set in code -> "Unsupported value type class java.lang.Long for badValue!".
    # Python values of any type are allowed (a step definition built in code may carry any object).
    opaque = _Opaque()
    assert map_parameter(param(opaque, name="badValue"), ctx) is opaque
    assert map_parameter(param(1, "long", name="badValue"), ctx) == 1


def test_no_value_and_no_default_is_none(ctx: PipelineContext) -> None:
    assert map_parameter(param(None, "string", name="badValue"), ctx) is None


def test_default_used_when_value_maps_to_none(ctx: PipelineContext) -> None:
    assert map_parameter(param("!nothingHere", "text", defaultValue="default chosen"), ctx) == "default chosen"


def test_default_value_that_is_a_mapping_string_is_mapped(ctx: PipelineContext) -> None:
    # DESIGN 10: a defaultValue that is a mapping string is mapped like a value.
    assert map_parameter(param(None, "text", defaultValue="!globalString"), ctx) == "globalValue1"
    assert map_parameter(param("!nothingHere", "text", defaultValue="!globalString"), ctx) == "globalValue1"


# -- other tests of PipelineStepMapperTests ------------------------------------------------------------------


def test_create_a_parameter_map(ctx: PipelineContext) -> None:
    assert map_step_parameters(PipelineStep(), ctx, "pipeline-id-3") == {}
    step = PipelineStep.model_validate(
        {
            "id": "s",
            "params": [
                {"name": "One", "value": {"string": "fred", "num": 3}, "className": PARAMETER_TEST},
                {"name": "Two", "value": "15", "type": "integer"},
                {"name": "Three"},
                {"name": "Four", "defaultValue": "Four default"},
                {"name": "Five", "value": "silkie.chicken@chickens.com"},
                {"name": "Six", "type": "result", "value": "NEXT"},
            ],
        }
    )
    values = map_step_parameters(step, ctx, "pipeline-id-3")
    assert values == {
        "One": objects.ParameterTest("fred", 3),
        "Two": 15,
        "Three": None,
        "Four": "Four default",
        "Five": "silkie.chicken@chickens.com",
    }


NUMERIC_TARGETS = {
    "int": int,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "byte": int,
    "short": int,
    "bigint": int,
    "bigdecimal": Decimal,
}


@pytest.mark.parametrize("type_", sorted(NUMERIC_TARGETS))
def test_cast_string_values_to_numeric_types(ctx: PipelineContext, type_: str) -> None:
    result = map_parameter(param("!numericString", type_), ctx)
    assert type(result) is NUMERIC_TARGETS[type_]
    assert result == 1


CAST_TARGETS = {
    **NUMERIC_TARGETS,
    "character": str,
    "char": str,
    "boolean": bool,
    "string": str,
}
# ``!char`` is left out of the numeric sources: Python has no char type, and a one-character
# string is a string (``"5"`` to integer is 5, so ``"\u0001"`` cannot also mean 1).
CAST_SOURCES = ["!int", "!long", "!float", "!double", "!byte", "!short", "!bigdecimal", "!bigIntGlobal"]


@pytest.mark.parametrize("source", CAST_SOURCES)
@pytest.mark.parametrize("type_", sorted(CAST_TARGETS))
def test_cast_numeric_values_to_every_type(ctx: PipelineContext, source: str, type_: str) -> None:
    result = map_parameter(param(source, type_), ctx)
    assert type(result) is CAST_TARGETS[type_]
    if type_ in ("char", "character"):
        assert result == "\u0001"
    elif type_ == "boolean":
        assert result is True
    elif type_ != "string":
        assert result == 1


@pytest.mark.parametrize("type_", ["char", "character", "string", "text"])
def test_char_global_stays_a_one_character_string(ctx: PipelineContext, type_: str) -> None:
    assert map_parameter(param("!char", type_), ctx) == "\u0001"


def test_unparseable_number_is_a_mapping_error(ctx: PipelineContext) -> None:
    with pytest.raises(MappingError, match="integer"):
        map_parameter(param("!globalString", "integer"), ctx)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "(list)list.flatten",
            "Unable to execute script: Illegal binding format: [list]. Expected format: <name>:<value>:<type>",
        ),
        ("(chk:chicken:String chk.toLowerCase", "Unable to execute script: Malformed bindings. Expected enclosing character: [)]."),
        ("(df:@DataFrame:DataFrame df.count()", "Unable to execute script: script is empty. Ensure bindings are properly enclosed."),
    ],
    ids=["illegal-binding", "malformed-bindings", "empty-script"],
)
def test_script_binding_errors(ctx: PipelineContext, script: str, message: str) -> None:
    with pytest.raises(PipelineException) as error:
        map_parameter(param(script, "result"), ctx)
    assert str(error.value) == message


def test_script_bindings_visible_in_nested_scopes(ctx: PipelineContext) -> None:
    # Comprehensions and lambdas see every binding, not only the outermost iterable.
    script = "(items:@step1, limit:!globalInteger:Int) [i * limit for i in items if i < limit]"
    assert map_parameter(param(script, "result"), ctx) == [5, 10, 15]


def test_script_binding_alternates_and_logger(ctx: PipelineContext) -> None:
    script = "(value:!missing || fallback, log:!globalString) (value, logger.name, log)"
    assert map_parameter(param(script, "result"), ctx) == ("fallback", "metalus_py.script", "globalValue1")
    assert isinstance(map_value("() logger", ctx, type_name="result"), logging.Logger)


def test_result_parameter_scripts_detected(ctx: PipelineContext) -> None:
    # StepGroupStepTests "Should detect result script".
    ctx.globals["globalResult"] = "globalResult"
    assert map_parameter(param(" (value:!globalResult:String) value", "result"), ctx) == "globalResult"
    assert map_parameter(param("test", "result"), ctx) == "test"


def test_create_object_with_variables(ctx: PipelineContext) -> None:
    value = {"string": "!globalString", "num": "!globalInteger"}
    assert map_parameter(param(value, className=PARAMETER_TEST), ctx) == objects.ParameterTest("globalValue1", 5)

    ctx.globals["pipelineId"] = "pipeline-id-1"
    nested = {
        "parameterTest": {"string": "!globalString", "num": "!globalInteger"},
        "testObject": {
            "intField": "@step1.primaryKey1Map.childKey1Integer",
            "stringField": "#step1.namedKey1String",
            "boolField": "#step1.namedKey1Boolean",
            "mapField": {"globalTestKey1": "$rawKey1"},
        },
    }
    built = map_parameter(param(nested, className="com.acxiom.pipeline.NestedCaseClassTest"), ctx)
    assert built == objects.NestedCaseClassTest(
        parameter_test=objects.ParameterTest("globalValue1", 5),
        test_object=objects.TestObject(
            int_field=2, string_field="namedValue1", bool_field=True, map_field={"globalTestKey1": "rawValue1"}
        ),
    )


def test_replace_variables_in_a_map(ctx: PipelineContext) -> None:
    # Metalus wraps resolved map entries in Some(...); Python keeps the plain values.
    value = {"string": "!globalString", "num": "!globalInteger", "concatString": "global->!{globalString}->value"}
    assert map_parameter(param(value), ctx) == {
        "string": "globalValue1",
        "num": 5,
        "concatString": "global->globalValue1->value",
    }


def test_map_keeps_keys_that_resolve_to_none(ctx: PipelineContext) -> None:
    assert map_parameter(param({"a": "!missing", "b": "plain"}), ctx) == {"a": None, "b": "plain"}


def test_create_a_list_of_objects(ctx: PipelineContext) -> None:
    value = [{"string": "!globalString", "num": "!globalInteger"}, {"string": "secondObject", "num": 10}]
    assert map_parameter(param(value, className=PARAMETER_TEST), ctx) == [
        objects.ParameterTest("globalValue1", 5),
        objects.ParameterTest("secondObject", 10),
    ]


def test_create_a_list_of_maps(ctx: PipelineContext) -> None:
    value = [{"string": "!globalString", "num": "!globalInteger"}, {"string": "secondObject", "num": 10}]
    assert map_parameter(param(value), ctx) == [
        {"string": "globalValue1", "num": 5},
        {"string": "secondObject", "num": 10},
    ]


def test_return_a_list_of_items(ctx: PipelineContext) -> None:
    value = ["string", 5, "global->!{globalString}->value"]
    assert map_parameter(param(value), ctx) == ["string", 5, "global->globalValue1->value"]


def test_drop_none_from_lists(ctx: PipelineContext) -> None:
    assert map_parameter(param(["string", 5, "!NotHere"]), ctx) == ["string", 5]
    ctx.globals["dropNoneFromLists"] = False
    assert map_parameter(param(["string", 5, "!NotHere"]), ctx) == ["string", 5, None]


def test_drop_none_from_lists_accepts_string_false(ctx: PipelineContext) -> None:
    ctx.globals["dropNoneFromLists"] = "false"
    assert map_parameter(param(["!NotHere"]), ctx) == [None]


def test_or_logic(ctx: PipelineContext) -> None:
    ctx.parameters = PipelineParameters({"test-pipeline": {"int": 1, "nv": None, "string": "some string"}})
    ctx.globals["pipelineId"] = "test-pipeline"
    assert map_parameter(param("$nv || default string", "text", name="path"), ctx) == "default string"
    assert map_parameter(param("$string"), ctx) == "some string"
    assert map_parameter(param("$int"), ctx) == 1


def test_or_logic_literal_is_trimmed_and_empty_is_none(ctx: PipelineContext) -> None:
    assert resolve_text("!missing ||   spaced literal  ", ctx) == "spaced literal"
    assert map_parameter(param(""), ctx) is None


def test_replace_complex_variables_in_a_map(ctx: PipelineContext) -> None:
    value = {
        "string": "!globalString",
        "num": "!globalInteger",
        "concatString": "global->!{globalString}->value",
        "embeddedMap": {
            "embeddedBoolean": "$badValue || !globalBoolean",
            "stepResponse": "@step3",
            "mappedInteger": "?rawInteger",
            "runtimeInteger": "$rawInteger",
            "parameterTest": {"className": PARAMETER_TEST, "object": {"string": "fred1", "num": 4}},
            "listMap": [
                {"className": PARAMETER_TEST, "object": {"string": "fred2", "num": 5}},
                {"className": PARAMETER_TEST, "object": {"string": "fred3", "num": 6}},
            ],
            "embeddedObject": {
                "stepResponse": "@step3",
                "embeddedTest": {"className": PARAMETER_TEST, "object": {"string": "fred4", "num": 7}},
            },
        },
    }
    result = map_parameter(param(value), ctx)
    assert result["string"] == "globalValue1"
    assert result["num"] == 5
    assert result["concatString"] == "global->globalValue1->value"
    embedded = result["embeddedMap"]
    assert embedded["embeddedBoolean"] is True
    assert embedded["stepResponse"] == "fred_on_the_head"
    assert embedded["mappedInteger"] == 3
    assert embedded["runtimeInteger"] == 3
    assert embedded["parameterTest"] == objects.ParameterTest("fred1", 4)
    assert embedded["listMap"] == [objects.ParameterTest("fred2", 5), objects.ParameterTest("fred3", 6)]
    assert embedded["embeddedObject"] == {
        "stepResponse": "fred_on_the_head",
        "embeddedTest": objects.ParameterTest("fred4", 7),
    }


def test_step_group_pipeline_map_is_not_resolved(ctx: PipelineContext) -> None:
    # An inline pipeline with category step-group keeps its parameters for the sub-pipeline.
    value = {
        "id": "sub",
        "category": "step-group",
        "steps": [{"id": "s", "params": [{"name": "v", "value": "!globalString"}], "engineMeta": {"spark": "A.b"}}],
    }
    pipeline = map_parameter(param(value, className="com.acxiom.pipeline.DefaultPipeline"), ctx)
    assert isinstance(pipeline, Pipeline)
    assert pipeline.steps[0].params[0].value == "!globalString"


# -- extract path (ReflectionUtilsTests) -----------------------------------------------------------------------


def test_extract_paths_into_lists_strings_and_objects(ctx: PipelineContext) -> None:
    ctx.globals["holder"] = {"list": [1, 2, 3], "array": [{"string": "moo"}], "string": "moo"}
    assert resolve_text("!holder.bob", ctx) is None
    assert resolve_text("!holder.list[1]", ctx) == 2
    assert resolve_text("!holder.array[0].string", ctx) == "moo"
    assert resolve_text("!holder.string[1]", ctx) == "o"
    assert resolve_text("!holder.array[3].string", ctx) is None
    assert resolve_text("@step1[2]", ctx) == 3
    assert resolve_text("!globalTestObject.mapField.globalTestKey1", ctx) == "globalTestValue1"


def test_global_link_beats_global_and_links_do_not_chain(ctx: PipelineContext) -> None:
    ctx.globals["GlobalLinks"] = {**ctx.globals["GlobalLinks"], "chained": "!link9", "alt": "!missing || !globalString"}
    assert resolve_text("!link9", ctx) == "link_override"
    # A link's expression is resolved without links: !link9 inside it is the plain global.
    assert resolve_text("!chained", ctx) == "root_value"
    # DESIGN 10: a link may use || alternates.
    assert resolve_text("!alt", ctx) == "globalValue1"


def test_template_renders_missing_as_none_and_booleans_lowercase(ctx: PipelineContext) -> None:
    assert resolve_text("!{globalInteger}", ctx) == "5"
    assert resolve_text("!globalInteger", ctx) == 5
    assert resolve_text("a-!{globalBoolean}-!{nope}", ctx) == "a-true-None"


def test_qualified_reference_to_a_known_pipeline_without_results(ctx: PipelineContext) -> None:
    # DESIGN 10: @p.step means pipeline p whenever p is a pipeline id of the application (here the
    # pipeline manager's ``mypipeline``), even before p has results; a missing step gives None.
    assert resolve_text("@mypipeline.s1", ctx) is None
    assert resolve_text("$mypipeline.s1", ctx) is None
    ctx.parameters.set("mypipeline", "s1", StepResponse("ran", {"k": "v"}))
    assert resolve_text("@mypipeline.s1", ctx) == "ran"
    assert resolve_text("#mypipeline.s1.k", ctx) == "v"


def test_named_returns_spellings(ctx: PipelineContext) -> None:
    assert resolve_text("$step1.namedReturns.namedKey", ctx) == "namedValue"
    assert resolve_text("$step1.namedReturn.namedKey", ctx) == "namedValue"
    assert resolve_text("#step1", ctx) == {"namedKey": "namedValue"}
    assert resolve_text("#step3", ctx) is None
