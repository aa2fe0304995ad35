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

gcp-storage-emulator keeps its own metadata in ``<root>/.meta`` (plus
``_resumable``/``_softdelete`` folders, which are not buckets since bucket
names cannot start with ``_`` or ``.``). Object names ending in ``/`` cannot be
files and are not supported.

Containers reach this server at the gateway of their job network (the Docker
engine here runs with ``--iptables=false``: no NAT, no ``host-gateway``, but
the host's bridge address answers), so it must listen on an address the
bridges reach (``0.0.0.0``); ``scripts/ensure-gcs.sh`` starts it so.

Run: ``python -m pulumi_vertex_training.emulator.storage.gcs --root .vertex-local/gcs
--host 0.0.0.0 --port 9023``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gcp_storage_emulator import server as gcs_server
from gcp_storage_emulator.handlers.buckets import _make_bucket_resource
from gcp_storage_emulator.storage import Storage, _FileStore

log = logging.getLogger(__name__)

DEFAULT_PORT = 9023
_RESERVED_PREFIXES = ("_", ".")


def _crc32c(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


class FolderStorage(Storage):
    """gcp-storage-emulator's Storage with the disk as the source of truth (module docstring).

    Args:
        root: the folder whose sub-folders are the buckets.
        project_number: reported on bucket resources.
    """

    def __init__(self, root: str | os.PathLike[str], project_number: str = "1234") -> None:
        # Not Storage.__init__: it would root the files at <data_dir>/.cloudstorage.
        self._data_dir = str(root)
        self._use_memory_fs = False
        self.project_number = str(project_number)
        self._root = Path(root)
        self._store = _FileStore(use_memory=False, root=self._root)
        self._lock = threading.RLock()
        self._seen: dict[tuple[str, str], tuple[int, int]] = {}  # (bucket, name) -> (size, mtime)
        self.uploads: list[tuple[str, str]] = []  # (bucket, name) of every upload, in order
        self._read_config_from_file()

    # ---- disk -> metadata ------------------------------------------------------------------

    def _object_from_file(
        self, bucket: str, name: str, path: Path, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        data = path.read_bytes()
        st = path.stat()
        stamp = datetime.fromtimestamp(st.st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        obj = dict(old or {})
        obj.update(
            {
                "kind": "storage#object",
                "id": f"{bucket}/{name}/{st.st_mtime_ns}",
                "selfLink": f"/storage/v1/b/{bucket}/o/{name}",
                "name": name,
                "bucket": bucket,
                "generation": str(st.st_mtime_ns),
                "metageneration": "1",
                "contentType": obj.get("contentType") or "application/octet-stream",
                "timeCreated": obj.get("timeCreated") or stamp,
                "updated": stamp,
                "storageClass": "STANDARD",
                "size": str(len(data)),
                "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
                "crc32c": _crc32c(data),
                "etag": hashlib.sha1(data).hexdigest(),
            }
        )
        obj.pop("mediaLink", None)  # the client then builds the download URL from its endpoint
        self._seen[(bucket, name)] = (st.st_size, st.st_mtime_ns)
        return obj

    def _sync_object(self, bucket: str, name: str) -> None:
        objects = self.objects.setdefault(bucket, {})
        path = self._root / bucket / name
        if name.endswith("/") or not path.is_file():
            if objects.pop(name, None) is not None:
                self._seen.pop((bucket, name), None)
            return
        st = path.stat()
        if name in objects and self._seen.get((bucket, name)) == (st.st_size, st.st_mtime_ns):
            return
        objects[name] = self._object_from_file(bucket, name, path, objects.get(name))

    def _sync_prefix(self, bucket: str, prefix: str | None) -> None:
        base = self._root / bucket
        if not base.is_dir():
            return
        objects = self.objects.setdefault(bucket, {})
        start = base
        if prefix and "/" in prefix:
            start = base / prefix.rsplit("/", 1)[0]
        names = set()
        if start.is_dir():
            for dirpath, _dirs, files in os.walk(start):
                for file in files:
                    rel = os.path.relpath(os.path.join(dirpath, file), base).replace(os.sep, "/")
                    if prefix is None or rel.startswith(prefix):
                        names.add(rel)
        for name in [n for n in objects if prefix is None or n.startswith(prefix)]:
            names.add(name)
        for name in sorted(names):
            self._sync_object(bucket, name)

    # ---- Storage API, with the disk consulted first ---------------------------------------------

    def get_bucket(self, bucket_name: str) -> Any:
        """The bucket resource; any folder under the root is a bucket."""
        with self._lock:
            if (
                bucket_name not in self.buckets
                and not bucket_name.startswith(_RESERVED_PREFIXES)
                and (self._root / bucket_name).is_dir()
            ):
                resource = _make_bucket_resource(bucket_name, project_number=self.project_number)
                self.create_bucket(bucket_name, resource)
            return super().get_bucket(bucket_name)

    def get_file_list(
        self, bucket_name: str, prefix: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        """Objects of a bucket, including files written straight to the folder."""
        with self._lock:
            self.get_bucket(bucket_name)
            self._sync_prefix(bucket_name, prefix)
            return super().get_file_list(bucket_name, prefix, *args, **kwargs)

    def get_file_obj(self, bucket_name: str, file_name: str) -> Any:
        """An object's metadata, made up from the file when it was written to the folder."""
        with self._lock:
            self.get_bucket(bucket_name)
            self._sync_object(bucket_name, file_name)
            return super().get_file_obj(bucket_name, file_name)

    def create_file(
        self, bucket_name: str, file_name: str, content: bytes, file_obj: Any, file_id: Any = None
    ) -> Any:
        """Store an upload as the file ``<root>/<bucket>/<name>``."""
        with self._lock:
            self.get_bucket(bucket_name)
            result = super().create_file(bucket_name, file_name, content, file_obj, file_id)
            path = self._root / bucket_name / file_name
            if path.is_file():
                st = path.stat()
                self._seen[(bucket_name, file_name)] = (st.st_size, st.st_mtime_ns)
                # A container's user may not be root: keep the files readable.
                os.chmod(path, 0o644)
            self.uploads.append((bucket_name, file_name))
            return result

    def create_bucket(self, bucket_name: str, bucket_obj: Any) -> Any:
        """Create a bucket: its folder, world-writable (replicas may run as any user)."""
        with self._lock:
            result = super().create_bucket(bucket_name, bucket_obj)
            try:
                os.chmod(self._root / bucket_name, 0o777)
            except OSError:
                pass
            return result


class LocalGcs:
    """A running local Cloud Storage (gcp-storage-emulator over :class:`FolderStorage`).

    Args:
        root: folder of the buckets (the emulator's ``<data_dir>/gcs``).
        host: interface to bind; ``0.0.0.0`` so job containers reach it.
        port: 0 picks a free port (see :attr:`port`).
    """

    def __init__(self, root: str | os.PathLike[str], host: str = "0.0.0.0", port: int = 0) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o777)
        self.storage = FolderStorage(self.root)
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
        "--host", default="0.0.0.0", help="interface (job containers need a non-loopback one)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = LocalGcs(Path(args.root).resolve(), args.host, args.port).start()
    log.info("local Cloud Storage on %s:%s, buckets in %s", args.host, server.port, server.root)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
