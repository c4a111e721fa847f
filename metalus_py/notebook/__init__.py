"""Build, run and inspect metalus applications from Python and Jupyter.

    from metalus_py.notebook import Application, Pipeline, step

    @step
    def add_total(data_frame, column="total"):
        return data_frame.with_columns((pl.col("price") * pl.col("qty")).alias(column))

    etl = (
        Pipeline("etl")
        .step("READ", "DataReaderSteps.readCsv", path="!inputPath")
        .step("TOTAL", add_total, data_frame="@READ")
        .step("WRITE", "DataWriterSteps.writeParquet", data_frame="@TOTAL", path="!{outputPath}/out.parquet")
    )
    app = Application("demo", globals={"inputPath": "in.csv"}).execution("LOAD", [etl])
    app.validate(); result = app.run(outputPath="/tmp/out"); result.frame("LOAD", "etl", "TOTAL")
    app.run(until="LOAD.etl.TOTAL")   # stop after a step; edit a @step function, run again:
    app.run().reused                  # ... the steps before the edit are reused, not run
    app.to_json("demo.json")   # the same application for ``metalus run demo.json``
    open_run("<run id>", state="postgresql://...")   # a run made anywhere, frames read lazily

Modules: ``registry`` (``@step``), ``pipeline`` (pipeline builder), ``application``
(application builder, validate/run/export), ``incremental`` and ``fingerprint`` (what a run
reuses), ``recorded`` (``open_run``, retrigger), ``single`` (``run_step``), ``results`` (frames
from a run), ``plan``, ``preview`` and ``display`` (what Jupyter shows).
"""

from metalus_py.notebook.application import Application
from metalus_py.notebook.incremental import DEFAULT
from metalus_py.notebook.names import UnknownStepError
from metalus_py.notebook.pipeline import AUTO, Param, Pipeline, param
from metalus_py.notebook.plan import PlanView
from metalus_py.notebook.recorded import RunNotFoundError, open_run
from metalus_py.notebook.registry import NotebookSteps, registered, step
from metalus_py.notebook.results import NotebookResult, to_frame

__all__ = [
    "AUTO",
    "DEFAULT",
    "Application",
    "NotebookResult",
    "NotebookSteps",
    "Param",
    "PlanView",
    "Pipeline",
    "param",
    "RunNotFoundError",
    "UnknownStepError",
    "open_run",
    "registered",
    "step",
    "to_frame",
]
