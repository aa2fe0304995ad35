"""The local Cloud Storage: gcp-storage-emulator serving the emulator's ``/gcs`` folders.

One store (decided): ``<root>/<bucket>/<object name>``, plain files. The
emulator bind-mounts ``<data_dir>/gcs/<bucket>`` at ``/gcs/<bucket>`` in every
replica (Cloud Storage FUSE's convention), and this server answers the GCS JSON
API (``STORAGE_EMULATOR_HOST``) from the same folders with ``root =
<data_dir>/gcs``. So an object is the same data whichever way it is written:

* uploads through the storage client land as files that ``/gcs/...`` reads;
* files a trainer writes under ``/gcs/...`` (``AIP_MODEL_DIR`` and friends)
  are objects for the storage client: the disk is authoritative, and object
  metadata (size, md5, crc32c, generation = mtime) is made up from the file
  whenever the file is new or changed since the server last saw it; every
  folder under the root is a bucket.

gcp-storage-emulator (the ``[local]`` extra) is imported only when the local
Cloud Storage starts (:class:`LocalGcs`, :func:`main`), together with
``folder_storage.py``, which adapts it to the folders; without it that start
fails with :data:`MISSING_MESSAGE`, and nothing else of the emulator needs it.

It listens on loopback only (``127.0.0.1``, the default here and in
``scripts/ensure-gcs.sh``): it is unauthenticated and holds the packages jobs
install, so nothing beyond this machine, and no container, reaches it directly.
Containers reach it as ``host.docker.internal``, their job network's gateway (the
Docker engine here runs with ``--iptables=false --bridge=none``: no NAT, no
``host-gateway``), where the emulator opens a forwarder to this server for as long as
the job's network exists (``execution/gateway_forward.py``). ``--host`` binds another
interface; then anything that reaches that interface reaches the buckets.

Run: ``python -m pulumi_vertex_training.emulator.storage.gcs --root .vertex-local/gcs
--port 9023`` (loopback).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi_vertex_training.emulator.storage.folder_storage import FolderStorage

log = logging.getLogger(__name__)

DEFAULT_PORT = 9023
DEFAULT_HOST = "127.0.0.1"
"""Loopback only: the server is unauthenticated (module docstring)."""
MISSING_MESSAGE = (
    "the local Cloud Storage needs gcp-storage-emulator: "
    "pip install 'pulumi-vertex-training[local]'"
)
"""What starting the local Cloud Storage says when gcp-storage-emulator is not installed."""
_MODULE = "gcp_storage_emulator"


class LocalGcs:
    """A running local Cloud Storage (gcp-storage-emulator over ``folder_storage.FolderStorage``).

    Args:
        root: folder of the buckets (the emulator's ``<data_dir>/gcs``).
        host: interface to bind; loopback by default (containers reach it through the
            emulator's gateway forwarders, ``execution/gateway_forward.py``).
        port: 0 picks a free port (see :attr:`port`).

    Raises:
        ModuleNotFoundError: gcp-storage-emulator is not installed (:data:`MISSING_MESSAGE`).
    """

    def __init__(
        self, root: str | os.PathLike[str], host: str = DEFAULT_HOST, port: int = 0
    ) -> None:
        try:
            from gcp_storage_emulator import server as gcs_server

            from pulumi_vertex_training.emulator.storage.folder_storage import FolderStorage
        except ModuleNotFoundError as err:
            if not _is_gcp_storage_emulator(err):
                raise
            raise ModuleNotFoundError(MISSING_MESSAGE, name=_MODULE) from err
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o777)
        self.storage: FolderStorage = FolderStorage(self.root)
        self._api = gcs_server.APIThread(host, port, self.storage, daemon=True)
        self.host = host
        self.port: int = 0

    def start(self) -> LocalGcs:
        """Serve in a daemon thread; returns once the port is bound."""
        self._api.start()
        self._api.is_running.wait()
        httpd = self._api._httpd
        assert httpd is not None
        self.port = int(httpd.server_address[1])
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._api.join(timeout=1)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port``: the value for ``STORAGE_EMULATOR_HOST`` on this host."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> LocalGcs:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m pulumi_vertex_training.emulator.storage.gcs``: serve in the foreground."""
    parser = argparse.ArgumentParser(
        description="Local Cloud Storage over the emulator's /gcs folders"
    )
    parser.add_argument("--root", default=".vertex-local/gcs", help="folder of the buckets")
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="interface (default loopback; job containers reach it through the emulator)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    try:
        local = LocalGcs(Path(args.root).resolve(), args.host, args.port)
    except ModuleNotFoundError as err:
        if not _is_gcp_storage_emulator(err):
            raise
        print(MISSING_MESSAGE, file=sys.stderr, flush=True)
        return 1
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = local.start()
    log.info("local Cloud Storage on %s:%s, buckets in %s", args.host, server.port, server.root)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def _is_gcp_storage_emulator(err: ModuleNotFoundError) -> bool:
    """Whether ``err`` is about gcp-storage-emulator (or one of its modules) missing."""
    return (err.name or "").split(".")[0] == _MODULE


if __name__ == "__main__":
    raise SystemExit(main())
