"""Running pipelines: the step loop and the branch, fork/join, split/merge and step-group flows."""
