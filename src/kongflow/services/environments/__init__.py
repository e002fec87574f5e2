"""Runtime environments (dev, staging, prod) and their API keys."""
