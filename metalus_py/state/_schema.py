"""Table definitions shared by the SQL backends (portable SQLite / PostgreSQL DDL).

JSON is stored as TEXT (key order preserved, same code on both backends); record timestamps
are ISO-8601 TEXT; lease deadlines are epoch seconds. Bump :data:`SCHEMA_VERSION` and add a
migration step in the backends when a table changes.
"""

from __future__ import annotations

from typing import Final

from metalus_py.state._schedule_schema import SCHEDULE_DDL

SCHEMA_VERSION: Final = 1

RUN_COLUMNS: Final = (
    "run_id, application_id, status, started_at, ended_at, updated_at, application_json, "
    "parameters_json, persist_policy, artifact_root, parent_run_id, metadata_json"
)
EXECUTION_COLUMNS: Final = (
    "run_id, execution_key, execution_id, fork_indices_json, status, reason, error_json, "
    "started_at, ended_at, updated_at"
)
PIPELINE_COLUMNS: Final = "run_id, execution_key, pipeline_id, status, started_at, ended_at, updated_at"
STEP_COLUMNS: Final = (
    "run_id, execution_key, pipeline_id, step_path, status, attempts, owner, started_at, ended_at, "
    "updated_at, error_json, input_json, output_json, named_keys_json, metrics_json"
)
LEASE_COLUMNS: Final = "run_id, owner, acquired_at, renewed_at, expires_at, released"
KILL_COLUMNS: Final = "request_id, run_id, target, reason, requested_at, acknowledged_at"

DDL: Final[tuple[str, ...]] = (
    """CREATE TABLE IF NOT EXISTS metalus_schema (
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_run (
        run_id TEXT PRIMARY KEY,
        application_id TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        updated_at TEXT NOT NULL,
        application_json TEXT NOT NULL,
        parameters_json TEXT NOT NULL,
        persist_policy TEXT NOT NULL,
        artifact_root TEXT,
        parent_run_id TEXT,
        metadata_json TEXT NOT NULL,
        event_seq BIGINT NOT NULL DEFAULT 0,
        change_seq BIGINT NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS metalus_run_started ON metalus_run (started_at)",
    """CREATE TABLE IF NOT EXISTS metalus_param_change (
        run_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        changed_at TEXT NOT NULL,
        reason TEXT,
        changes_json TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_execution (
        run_id TEXT NOT NULL,
        execution_key TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        fork_indices_json TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        error_json TEXT,
        started_at TEXT,
        ended_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, execution_key)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_pipeline (
        run_id TEXT NOT NULL,
        execution_key TEXT NOT NULL,
        pipeline_id TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, execution_key, pipeline_id)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_step (
        run_id TEXT NOT NULL,
        execution_key TEXT NOT NULL,
        pipeline_id TEXT NOT NULL,
        step_path TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        started_at TEXT,
        ended_at TEXT,
        updated_at TEXT NOT NULL,
        error_json TEXT,
        input_json TEXT,
        output_json TEXT,
        named_keys_json TEXT NOT NULL DEFAULT '[]',
        metrics_json TEXT,
        PRIMARY KEY (run_id, execution_key, pipeline_id, step_path)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_event (
        run_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        recorded_at TEXT NOT NULL,
        event_json TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_kill (
        request_id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        target TEXT,
        reason TEXT,
        requested_at TEXT NOT NULL,
        acknowledged_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS metalus_kill_run ON metalus_kill (run_id, acknowledged_at)",
    """CREATE TABLE IF NOT EXISTS metalus_execution_attempt (
        run_id TEXT NOT NULL,
        execution_key TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        worker TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        PRIMARY KEY (run_id, execution_key, attempt)
    )""",
    """CREATE TABLE IF NOT EXISTS metalus_lease (
        run_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        renewed_at TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        released INTEGER NOT NULL DEFAULT 0
    )""",
    *SCHEDULE_DDL,
)

#: Tables holding one run's rows, deleted by ``delete_run``.
RUN_TABLES: Final = (
    "metalus_param_change",
    "metalus_execution",
    "metalus_pipeline",
    "metalus_step",
    "metalus_event",
    "metalus_kill",
    "metalus_lease",
    "metalus_execution_attempt",
    "metalus_run",
)
