"""One measurement, run in a fresh interpreter: ``python -m bench.child '<spec json>'``.

The parent (:mod:`bench.run`) starts one process per measurement and reads the last stdout line
starting with :data:`MARKER`: ``{"seconds": ..., "rssMb": ..., "extra": {...}}``. ``seconds`` is
measured here around the work only (interpreter start-up and imports excluded); ``rssMb`` is this
process's peak RSS (``VmHWM``); the parent adds the process's wall time.

Heavy modules are imported inside each kind, before the clock starts, so a plain polars
measurement never loads metalus_py. With ``"profile": FILE`` in the spec the timed section runs
under cProfile (one profiler per thread, merged) and the stats are dumped to FILE.
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import json
import pstats
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MARKER = "BENCH-RESULT "

Spec = dict[str, Any]


class Clock:
    """Seconds of the timed section (and an optional per-thread cProfile of it)."""

    def __init__(self, profile_path: str | None) -> None:
        self.seconds = 0.0
        self.rss_at_start_mb = 0.0
        self.gc_seconds = 0.0
        self._gc_started: float | None = None
        self._profile_path = profile_path
        self._profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _thread_start(self, *_: Any) -> None:
        # Installed with threading.setprofile: the first event in a new thread swaps in a profiler.
        profile = cProfile.Profile()
        with self._lock:
            self._profiles.append(profile)
        sys.setprofile(None)
        profile.enable()

    def _gc_event(self, phase: str, _: dict[str, Any]) -> None:
        # Garbage-collector pauses inside the timed section (gc.callbacks: "start"/"stop").
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            self.gc_seconds += time.perf_counter() - self._gc_started
            self._gc_started = None

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        self.rss_at_start_mb = _status_mb("VmRSS")
        gc.callbacks.append(self._gc_event)
        main: cProfile.Profile | None = None
        if self._profile_path:
            threading.setprofile(self._thread_start)
            main = cProfile.Profile()
            main.enable()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds = time.perf_counter() - start
            gc.callbacks.remove(self._gc_event)
            if main is not None and self._profile_path:
                main.disable()
                threading.setprofile(None)
                stats = pstats.Stats(main)
                for profile in self._profiles:
                    with contextlib.suppress(TypeError):  # a thread that recorded nothing
                        stats.add(profile)
                stats.dump_stats(self._profile_path)


def _status_mb(field: str) -> float:
    """A memory field of /proc/self/status in MB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set (``VmHWM``; unlike ``ru_maxrss`` not floored by the parent's)."""
    import resource

    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    from metalus_py.state.postgres import split_schema

    with psycopg.connect(split_schema(url)[0], autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench.child: check failed: {message}")


def _load_run_machinery(app: str) -> None:
    """Load before the clock what a run otherwise loads on first use: the modules metalus_py imports
    lazily, the file models pydantic builds on first validation (with its plugin scan), and the step
    objects the application names (``steps_library`` imports each on first use, and with it polars,
    pyarrow or fsspec, as the plain-polars variants import polars before their clock). The harness
    times the work; imports have their own workload (start-up)."""
    import importlib

    for module in ("metalus_py.api.service", "metalus_py.executors.local", "metalus_py.executors.values",
                   "metalus_py.plan.class_info", "metalus_py.events.jsonlines", "metalus_py.base.credentials",
                   "metalus_py.durable.session", "metalus_py.state"):
        importlib.import_module(module)
    from metalus_py.model.application import Application

    Application.model_validate({"executions": [{"id": "E", "pipelines": [{"id": "P", "steps": [
        {"id": "S", "params": [{"name": "n", "value": 1}], "engineMeta": {"command": "A.b"}}]}]}]})
    document = json.loads(Path(app).read_text())
    objects = {str(s.get("engineMeta", {}).get("command", "")).split(".")[0]
               for p in document.get("pipelines", []) for s in p.get("steps", [])}
    for package in document.get("stepPackages", []):
        module = importlib.import_module(package)
        for name in objects:
            getattr(module, name, None)


def _run_metalus(spec: Spec, clock: Clock) -> tuple[Any, dict[str, Any]]:
    """Run ``spec["app"]`` with the Python API (``mode`` none) or a durable SQLite run."""
    import metalus_py

    run_application = metalus_py.run_application  # its modules are imported here, not in the clock
    _load_run_machinery(spec["app"])
    params: dict[str, Any] = dict(spec.get("params", {}))
    mode = spec["mode"]
    extra: dict[str, Any] = {}
    result: Any
    if mode == "none":
        with clock.measure():
            result = run_application(spec["app"], params)
    else:
        from metalus_py.durable.session import RunOptions, start_run
        from metalus_py.state import open_store

        schema = None
        if mode == "postgres":  # a fresh schema per measurement, dropped afterwards
            schema = f"metalus_bench_{uuid.uuid4().hex[:12]}"
            store = open_store(f"{spec['postgres']}{'&' if '?' in spec['postgres'] else '?'}schema={schema}")
        else:
            store = open_store(f"sqlite:///{spec['tmp']}/state.db")
        assert store is not None
        persist = "all" if mode == "sqlite-all" else "none"
        with clock.measure():
            result = start_run(store, spec["app"], params, options=RunOptions(persist=persist))
        store.close()
        if schema is not None:
            _drop_schema(spec["postgres"], schema)
    status = getattr(result, "status", None)
    if status is None:
        status = result.run.status
    _require(status == "COMPLETE", f"run status {status}")
    if spec.get("document"):
        started = time.perf_counter()
        result.to_dict()
        extra["documentSeconds"] = time.perf_counter() - started
    return result, extra


def run_w1(spec: Spec, clock: Clock) -> dict[str, Any]:
    result, extra = _run_metalus(spec, clock)
    steps = int(spec["steps"])
    _require(result.step_result("Chain", "Chain", f"S{steps - 1}") == steps, "chain result")
    return extra


def run_w2(spec: Spec, clock: Clock) -> dict[str, Any]:
    result, extra = _run_metalus(spec, clock)
    values = int(spec["values"])
    where = ("Join", "Total", "Sum") if spec["variant"] == "fork-execution" else ("Map", "Map", "Sum")
    total = result.step_result(*where)
    _require(total == values * (values + 1) // 2, f"sum {total}")
    return extra


def run_w3_metalus(spec: Spec, clock: Clock) -> dict[str, Any]:
    # The step package (and with it polars) is imported before the clock, as the plain scripts
    # import polars before theirs; import cost is the start-up workload's business.
    import steps_library  # noqa: F401

    _, extra = _run_metalus(spec, clock)
    return extra


def run_w3_plain_eager(spec: Spec, clock: Clock) -> dict[str, Any]:
    import polars as pl

    def etl(orders_path: str, products_path: str, output_path: str) -> None:
        orders = pl.read_csv(orders_path)
        products = pl.read_csv(products_path)
        filtered = orders.filter(pl.col("quantity") > 1)
        joined = filtered.join(products, on="product_id")
        grouped = joined.group_by("category", pl.col("order_date").str.slice(0, 7).alias("month")).agg(
            revenue=(pl.col("quantity") * pl.col("price")).sum(), orders=pl.len()
        )
        grouped.write_parquet(output_path)

    with clock.measure():
        etl(spec["params"]["ordersPath"], spec["params"]["productsPath"], spec["params"]["outputPath"])
    return {}


def run_w3_plain_lazy(spec: Spec, clock: Clock) -> dict[str, Any]:
    import polars as pl

    def etl(orders_path: str, products_path: str, output_path: str) -> None:
        (
            pl.scan_csv(orders_path)
            .filter(pl.col("quantity") > 1)
            .join(pl.scan_csv(products_path), on="product_id")
            .group_by("category", pl.col("order_date").str.slice(0, 7).alias("month"))
            .agg(revenue=(pl.col("quantity") * pl.col("price")).sum(), orders=pl.len())
            .sink_parquet(output_path)
        )

    with clock.measure():
        etl(spec["params"]["ordersPath"], spec["params"]["productsPath"], spec["params"]["outputPath"])
    return {}


KINDS: dict[str, Callable[[Spec, Clock], dict[str, Any]]] = {
    "w1": run_w1,
    "w2": run_w2,
    "w3-metalus": run_w3_metalus,
    "w3-plain-eager": run_w3_plain_eager,
    "w3-plain-lazy": run_w3_plain_lazy,
}


def main(argv: list[str]) -> int:
    spec: Spec = json.loads(argv[1])
    clock = Clock(spec.get("profile"))
    extra = KINDS[spec["kind"]](spec, clock)
    if spec["kind"].startswith("w3"):
        import polars as pl

        extra["outputRows"] = pl.read_parquet(spec["params"]["outputPath"]).height
    extra["rssAtStartMb"] = clock.rss_at_start_mb
    extra["gcSeconds"] = clock.gc_seconds
    payload = {"seconds": clock.seconds, "rssMb": peak_rss_mb(), "extra": extra}
    print(MARKER + json.dumps(payload), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path.cwd()))
    raise SystemExit(main(sys.argv))
