"""``python -m planner`` is the same as the ``planner`` command."""
import sys

from .cli import main

sys.exit(main())
