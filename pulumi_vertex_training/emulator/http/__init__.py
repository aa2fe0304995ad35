"""The emulator's REST face, Vertex AI's v1 HTTP bindings over the same servicers as gRPC.

- ``bindings.py``: the ``google.api.http`` rules (which method and path call which
  servicer method);
- ``transcoding.py``: an HTTP request to a request message, the answer to JSON, errors
  to Google's JSON error body (pure, blocking);
- ``guard.py``: who may reach it (Host, Origin, Content-Type) and how much it reads;
- ``errors.py``: every error in Google's JSON, including those of Starlette and uvicorn;
- ``gateway.py``: the Starlette application on uvicorn, served in a background thread.

``emulator/rest.py`` is the public face (``RestGateway`` and the binding tables).
"""
