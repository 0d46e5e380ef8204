"""The HTTP API: dependencies, response schemas and routes."""
