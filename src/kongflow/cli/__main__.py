"""`python -m kongflow.cli` runs the same app as the `kongflow` script."""

from kongflow.cli.main import app

app()
