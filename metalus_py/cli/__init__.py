"""The ``metalus`` command line."""
