"""kongflow: a self-hostable trigger.dev v2 compatible background-jobs server."""

__version__ = "0.1.0"
