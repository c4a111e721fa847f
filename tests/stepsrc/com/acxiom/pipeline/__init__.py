"""Python versions of the step objects Metalus's own tests use (same package names)."""
