"""The real MongoDB wire server the Mongo tests run against (``TICKEX_TEST_MONGODB_URI``).

No official MongoDB server installs on our machines; CI (``.ci/run``) starts SecantusDB,
a MongoDB-compatible wire server, once as a replica set and once standalone, and runs the
Mongo suite against each. Without a URI the server tests skip, and fail under
``TICKEX_REQUIRE_SERVICES=1``.

Where that server departs from MongoDB's documented behaviour, the test stays as it is
and is marked an expected failure on that server only (``SERVER_DEPARTURES``, each with
its reason; the minimal reproductions are in docs/adapters/mongo.md). A test that needs
a replica set by design (transactions) skips on a standalone server, saying so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

import pytest
from pymongo import MongoClient

from tests.conftest import require_service

MONGODB_URI = os.environ.get("TICKEX_TEST_MONGODB_URI", "")
HOW = (
    "set TICKEX_TEST_MONGODB_URI to a MongoDB wire server (.ci/run starts SecantusDB; "
    "docs/adapters/mongo.md shows how)"
)

#: test name -> why it fails on SecantusDB (and passes on MongoDB)
SECANTUS_DEPARTURES = {
    name: (
        "SecantusDB 0.7.0b3 drops the document equal to the bound of a `$lte` on the second "
        "field of a compound index whose first field is matched exactly (docs/adapters/"
        "mongo.md, 'Known departures of SecantusDB')"
    )
    for name in (
        "test_outbox_due_messages_oldest_first",
        "test_dead_outbox_messages_are_listed_oldest_first_and_counted",
        "test_time_order_holds_at_the_edges_of_the_range",
    )
}


@dataclass(frozen=True, slots=True)
class ServerInfo:
    replica_set: bool
    secantus: bool  # SecantusDB, not MongoDB
    version: str


@cache
def server_info() -> ServerInfo:
    client: MongoClient[dict[str, object]] = MongoClient(MONGODB_URI, serverSelectionTimeoutMS=5000)
    try:
        hello = client.admin.command("hello")
        build = client.admin.command("buildInfo")
    finally:
        client.close()
    secantus = "secantusVersion" in build
    return ServerInfo(
        replica_set="setName" in hello,
        secantus=secantus,
        version=str(build["secantusVersion"] if secantus else build["version"]),
    )


def require_server() -> str:
    """The server's URI; skips (fails under TICKEX_REQUIRE_SERVICES=1) without one."""
    require_service("MongoDB wire server", bool(MONGODB_URI), HOW)
    return MONGODB_URI


def require_replica_set() -> None:
    if not server_info().replica_set:
        pytest.skip("needs a replica set by design (transactions); this server is standalone")


def mark_departures(request: pytest.FixtureRequest) -> None:
    """Mark the running test an expected failure (strict) if the server is known to
    depart from MongoDB there."""
    reason = SECANTUS_DEPARTURES.get(request.node.originalname)
    if reason is not None and server_info().secantus:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
