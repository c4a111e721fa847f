"""Durable runs: every run recorded in a state store, resumable, re-triggerable and killable.

The engine sees durability only through :class:`~metalus_py.steps.runtime.StepJournal` (restore a
finished step, record what runs) and listeners; this package wires a
:class:`~metalus_py.state.StateStore` and an :class:`~metalus_py.state.ArtifactStore` into them.
"""
