"""One module per sub-command; see :mod:`planner.cli`."""
