"""Cloud Logging for the local Vertex AI: replica logs stored as Vertex AI writes them,
served as ``google.logging.v2.LoggingServiceV2`` (ListLogEntries, TailLogEntries).

``query_syntax.py`` / ``query.py``: the query language; ``store.py``: the lines
(SQLite); ``collector.py``: from Docker into the store; ``entries.py``: the wire
types; ``service.py``: the servicer. Shapes and coverage: ``COVERAGE.md``.
"""
