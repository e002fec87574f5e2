"""Database access: the ORM schema, sessions, migrations and the embedded server."""
