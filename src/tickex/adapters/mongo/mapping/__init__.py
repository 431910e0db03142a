"""Domain objects <-> MongoDB documents, one module an area, over :mod:`.common`.

:mod:`.common` holds what every area shares: the gate that keeps caller input out of
filters (:func:`~.common.text`, :func:`~.common.count`), datetimes to the microsecond,
money, escaped outbox payloads and the schema version every document carries. The area
modules (``catalog``, ``organizers``, ``sales``, ``door``, ``delivery``, ``finance``,
``identity``) each declare one :class:`~.common.Aggregate` spec per aggregate
(``EVENT``, ``ORDER``, ...): its ``dump`` makes the document, its ``load`` reads it back,
as the repositories of the same area use them.
"""

from tickex.adapters.mongo.mapping.common import (
    SCHEMA_FIELD,
    SCHEMA_VERSION,
    Document,
    SchemaTooNew,
    count,
    escape_key,
    split_time,
    text,
    time_sort,
    unescape_key,
)

__all__ = [
    "SCHEMA_FIELD",
    "SCHEMA_VERSION",
    "Document",
    "SchemaTooNew",
    "count",
    "escape_key",
    "split_time",
    "text",
    "time_sort",
    "unescape_key",
]
