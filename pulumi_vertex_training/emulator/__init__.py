"""The local Vertex AI: serves the v1 custom-job API and runs the jobs in Docker."""
