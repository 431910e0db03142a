"""Argon2id password hashing (argon2-cffi), PHC string format ``$argon2id$v=19$m=...``.

Default parameters are OWASP's (Password Storage Cheat Sheet): argon2id, m=19 MiB, t=2,
p=1 -- about 45 ms per hash on our machines. Hashing is bounded to ``max_concurrency``
calls at once so that a burst of logins cannot take ``threads x memory_cost`` of memory.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import ClassVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tickex.ports.identity import PasswordHasher


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    memory_cost_kib: int
    time_cost: int
    parallelism: int
    salt_len: int = 16
    hash_len: int = 32

    OWASP: ClassVar[Argon2Parameters]
    RFC_9106_LOW_MEMORY: ClassVar[Argon2Parameters]
    INSECURE_FAST: ClassVar[Argon2Parameters]

    def __post_init__(self) -> None:
        if self.parallelism < 1 or self.time_cost < 1:
            raise ValueError("time_cost and parallelism must be at least 1")
        if self.memory_cost_kib < 8 * self.parallelism:
            raise ValueError("memory_cost_kib must be at least 8 x parallelism")
        if self.salt_len < 8 or self.hash_len < 4:
            raise ValueError("salt_len must be >= 8 and hash_len >= 4")

    @property
    def is_production_grade(self) -> bool:
        """At least OWASP's minimum (m=19 MiB with t=2, or m=46 MiB with t=1)."""
        return (
            self.salt_len >= 16
            and self.hash_len >= 32
            and (
                (self.memory_cost_kib >= 19_456 and self.time_cost >= 2)
                or (self.memory_cost_kib >= 47_104 and self.time_cost >= 1)
            )
        )


Argon2Parameters.OWASP = Argon2Parameters(memory_cost_kib=19_456, time_cost=2, parallelism=1)
Argon2Parameters.RFC_9106_LOW_MEMORY = Argon2Parameters(
    memory_cost_kib=65_536, time_cost=3, parallelism=4
)
#: For tests only: real argon2id, but about 0.1 ms per hash and no protection at all.
Argon2Parameters.INSECURE_FAST = Argon2Parameters(
    memory_cost_kib=8, time_cost=1, parallelism=1, salt_len=8, hash_len=16
)


class Argon2PasswordHasher(PasswordHasher):
    def __init__(
        self,
        parameters: Argon2Parameters = Argon2Parameters.OWASP,
        *,
        max_concurrency: int | None = None,
    ) -> None:
        self.parameters = parameters
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
            hash_len=parameters.hash_len,
            salt_len=parameters.salt_len,
            type=argon2.Type.ID,
        )
        self._slots = threading.BoundedSemaphore(max_concurrency or os.cpu_count() or 2)

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if not isinstance(password_hash, str) or not isinstance(password, str):
            return False
        if not password_hash.startswith("$argon2"):
            return False  # not ours: don't hand foreign formats to the C library
        try:
            with self._slots:
                return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        except (ValueError, UnicodeError):  # parameters out of range in a corrupt hash
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError, TypeError, UnicodeError):
            return True
