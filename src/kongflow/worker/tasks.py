"""Worker task catalogue. Each task opens one transaction and calls one service."""
