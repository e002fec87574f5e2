"""The key-value store behind ``io.store``: JSON text under a key, per environment."""
