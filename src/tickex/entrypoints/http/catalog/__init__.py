"""Catalog over HTTP: the public catalogue and event pages (``/v1/events``) and the
organizer's events, ticket types, quotas and promo codes (``/v1/organizer``)."""
