"""In-memory media store."""

from __future__ import annotations

import threading

from tickex.ports.media import MediaStore


class InMemoryMediaStore(MediaStore):
    def __init__(self, base_url: str = "http://127.0.0.1:8000/media") -> None:
        self._base_url = base_url.rstrip("/")
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, content_type: str) -> str:
        with self._lock:
            self.objects[key] = (data, content_type)
        return f"{self._base_url}/{key}"

    def delete(self, key: str) -> None:
        with self._lock:
            self.objects.pop(key, None)
