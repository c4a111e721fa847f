"""Python versions of the step objects Metalus's own tests use (same package names)."""

from com.acxiom.pipeline.mapping_objects import NestedCaseClassTest, ParameterTest, TestObject

__all__ = ["NestedCaseClassTest", "ParameterTest", "TestObject"]
