"""``python -m planner`` is the same as the ``planner`` command."""
from .cli import run

run()
