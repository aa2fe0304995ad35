"""``FolderStorage``: gcp-storage-emulator's storage with the disk as the source of truth.

The folder layout and why it is one store with the replicas' ``/gcs`` mounts are
in ``gcs.py``, which imports this module only when the local Cloud Storage
starts: it is the one emulator module that needs gcp-storage-emulator (the
``[local]`` extra) to import.

gcp-storage-emulator keeps its own metadata in ``<root>/.meta`` (plus
``_resumable``/``_softdelete`` folders, which are not buckets since bucket
names cannot start with ``_`` or ``.``). Object names ending in ``/`` cannot be
files and are not supported.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gcp_storage_emulator.handlers.buckets import _make_bucket_resource
from gcp_storage_emulator.storage import Storage, _FileStore

_RESERVED_PREFIXES = ("_", ".")


def _crc32c(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


class FolderStorage(Storage):
    """gcp-storage-emulator's Storage with the disk as the source of truth (``gcs.py``).

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
