"""``MongoStorage``, the storage port on MongoDB (Atlas, a replica set, or a standalone
server): the client, the topology, ``migrate``/``ping``/``close``, and the units of work
it hands out (:mod:`.unit_of_work`).

Nothing talks to the server at construction: the topology (can it run transactions?) is
asked once, with the ``hello`` command, the first time a unit of work needs it — unless
the caller fixes the mode.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from tickex.adapters.mongo.indexes import create_indexes
from tickex.adapters.mongo.mapping.common import Document
from tickex.adapters.mongo.unit_of_work import MongoUnitOfWork, Work
from tickex.ports.unit_of_work import Storage

DEFAULT_DATABASE = "tickex"

Mode = Literal["auto", "transactions", "compensating"]
_FIXED_MODES: dict[str, bool] = {"transactions": True, "compensating": False}


def supports_transactions(hello: dict[str, Any]) -> bool:
    """A replica-set member (``setName``) or a mongos router (``msg: isdbgrid``) runs
    multi-document transactions; a standalone ``mongod`` does not."""
    return "setName" in hello or hello.get("msg") == "isdbgrid"


class MongoStorage(Storage):
    """Repositories and units of work on one MongoDB database.

    ``client``: a ``pymongo.MongoClient`` (or ``mongomock.MongoClient`` in tests).

    ``mode``: ``"auto"`` asks the server (``hello``) once; ``"transactions"`` and
    ``"compensating"`` fix the mode (mongomock has neither ``hello`` nor sessions: run it
    ``"compensating"``). Forcing ``"compensating"`` on a replica set is allowed and is how
    the compensation is tested against a real server.

    ``serialize``: hold a lock from a unit of work's ``__enter__`` to its ``__exit__``, so
    units run one at a time in this process. Only for clients that are not thread-safe
    (mongomock); a real server needs no lock and gets none by default.

    ``conflict_patience`` / ``commit_patience``: seconds to keep retrying a unit's first
    write after a write conflict, and a commit whose result is unknown.
    """

    def __init__(
        self,
        client: Any,
        database: str = DEFAULT_DATABASE,
        *,
        mode: Mode = "auto",
        serialize: bool = False,
        owns_client: bool = False,
        conflict_patience: float = 5.0,
        commit_patience: float = 30.0,
    ) -> None:
        if mode != "auto" and mode not in _FIXED_MODES:
            raise ValueError(f"unknown mode {mode!r}: expected auto, transactions or compensating")
        self.client = client
        # tz_aware: the domain needs aware datetimes back; pymongo returns naive ones by
        # default. The client's other codec options are kept; the mapping converts to UTC
        # whatever tzinfo comes back (mongomock refuses an explicit tzinfo here).
        codec: CodecOptions[Any] = getattr(client, "codec_options", CodecOptions())
        self.database: Database[Document] = client.get_database(
            database, codec_options=codec.with_options(tz_aware=True)
        )
        self._transactions: bool | None = _FIXED_MODES.get(mode)
        self._topology_lock = threading.Lock()
        self._lock = threading.RLock() if serialize else None
        self._owns_client = owns_client
        self._conflict_patience = conflict_patience
        self._commit_patience = commit_patience

    @classmethod
    def from_url(
        cls,
        url: str,
        database: str | None = None,
        *,
        mode: Mode = "auto",
        **client_options: Any,
    ) -> MongoStorage:
        """``mongodb://`` or ``mongodb+srv://`` (Atlas). The database is ``database``, else
        the URL's path (``mongodb+srv://.../shop?retryWrites=true`` -> ``shop``), else
        ``tickex``. ``client_options`` go to ``MongoClient``."""
        if not url.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("expected a mongodb:// or mongodb+srv:// URL")
        options: dict[str, Any] = {"tz_aware": True, "appname": "tickex"} | client_options
        client: MongoClient[Document] = MongoClient(url, **options)
        name = database or client.get_default_database(default=DEFAULT_DATABASE).name
        return cls(client, name, mode=mode, owns_client=True)

    @property
    def transactional(self) -> bool:
        """Whether units of work run in transactions (asks the server once in auto mode)."""
        if self._transactions is None:
            with self._topology_lock:
                if self._transactions is None:
                    try:
                        hello = self.client.admin.command("hello")
                    except OperationFailure:  # servers before 4.4.2 only know isMaster
                        hello = self.client.admin.command("isMaster")
                    self._transactions = supports_transactions(hello)
        return self._transactions

    # -- the port -------------------------------------------------------------------------
    def unit_of_work(self, read_only: bool = False) -> MongoUnitOfWork:
        return MongoUnitOfWork(self, read_only=read_only)

    def migrate(self) -> None:
        """Create the indexes and the ledger counter; idempotent."""
        create_indexes(self.database)

    def ping(self) -> bool:
        try:
            self.database.command("ping")
        except PyMongoError:
            return False
        return True

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def new_work(self, read_only: bool = False) -> Work:
        return Work(
            self.client,
            self.database,
            read_only=read_only,
            transactional=self.transactional,
            lock=self._lock,
            conflict_patience=self._conflict_patience,
            commit_patience=self._commit_patience,
        )
