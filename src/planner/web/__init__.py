"""排考工作台: ``planner serve``, the planners' Chinese web workbench (see ``app.create_app``)."""
