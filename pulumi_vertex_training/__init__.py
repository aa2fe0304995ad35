"""Vertex AI custom training as infrastructure code."""
