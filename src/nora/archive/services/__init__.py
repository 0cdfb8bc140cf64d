"""Archive services: the logic behind the REST API and the CLI (both only parse and call these)."""
