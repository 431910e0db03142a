"""MediaStore: images for events (local filesystem, Cloudinary)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class MediaStore(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> str:
        """Store ``data`` under ``key`` and return its public URL."""

    @abstractmethod
    def delete(self, key: str) -> None: ...
