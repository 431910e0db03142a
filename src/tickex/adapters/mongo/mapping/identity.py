"""Users, refresh sessions, one-time tokens and API keys <-> documents.

Digests, emails and Google subjects are unique-indexed lookup keys: they go through
:func:`~.common.text` on the way in, as every filter value does on the way to a query.
"""

from __future__ import annotations

from tickex.adapters.mongo.mapping.common import KEY, Aggregate
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, User

# The email is lower-cased by the domain. The Google subject is unique where set: the
# partial index covers strings only, so None never collides.
USER = Aggregate(User, email=KEY, google_subject=KEY, organizer_id=KEY)
REFRESH_SESSION = Aggregate(RefreshSession, user_id=KEY, family_id=KEY, token_hash=KEY)
ONE_TIME_TOKEN = Aggregate(OneTimeToken, token_hash=KEY)
API_KEY = Aggregate(ApiKey, organizer_id=KEY, key_hash=KEY)
