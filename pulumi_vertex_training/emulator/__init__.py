"""The local Vertex AI (``vertex-local``): serves the v1 API and runs the jobs in Docker.

One subpackage per service, and the parts they share at the top (COVERAGE.md
says what each service implements):

- ``custom_jobs/``: JobService's custom-job RPCs, their validation, state machine
  and the monitor that runs the jobs;
- ``persistent_resources/``: PersistentResourceService, its long-running
  operations, and the scheduling of jobs on resources;
- ``operations.py``: ``google.longrunning.Operations``, shared by the services;
- ``storage/``: the local Cloud Storage (``gcs.py``, ``GCS.md``) and Artifact
  Registry's repository RPCs;
- ``execution/``: from a CustomJob to Docker containers, their outcome and logs
  (``runner.py`` and ``engine.py`` are the only modules importing docker);
- ``server.py`` (gRPC, wiring), ``rest.py`` (HTTP bindings), ``rpcs.py`` (the RPC
  table), ``store.py`` and ``records.py`` (state), ``common_validation.py``,
  ``filters.py``, ``faults.py``, ``exceptions.py``; ``cli.py`` and
  ``lifecycle.py`` are ``vertex-local``.
"""
