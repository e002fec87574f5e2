"""The `kongflow` command line."""
