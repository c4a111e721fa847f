"""The execution plan: executions as a DAG, prepared from the application file and run in order."""
