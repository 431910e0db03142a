"""MongoDB storage (pymongo): MongoDB Atlas, replica sets, standalone servers.

``MongoStorage.from_url("mongodb+srv://...")`` builds it and ``migrate()`` creates the
indexes. See ``docs/adapters/mongo.md`` and ``docs/adr/0004-mongo-unit-of-work.md``.
"""

from tickex.adapters.mongo.storage import MongoStorage, supports_transactions
from tickex.adapters.mongo.unit_of_work import MongoUnitOfWork

__all__ = ["MongoStorage", "MongoUnitOfWork", "supports_transactions"]
