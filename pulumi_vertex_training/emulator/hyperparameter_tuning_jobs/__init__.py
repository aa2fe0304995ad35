"""JobService's HyperparameterTuningJob RPCs, and the studies they run (see COVERAGE.md)."""
