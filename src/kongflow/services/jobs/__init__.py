"""Jobs: registration from an endpoint's index, disabling, testing and management."""
