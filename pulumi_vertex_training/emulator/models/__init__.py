"""ModelService: the local Model Registry (models, versions, aliases). See COVERAGE.md."""
