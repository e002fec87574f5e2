"""Routes the trigger.dev v2 SDK and CLI call, with the shapes of the captures."""
