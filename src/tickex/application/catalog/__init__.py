"""Catalog: what is on sale. Events (create, update, publish, cancel), their ticket types,
the quotas they draw from and the promo codes that discount or unlock them; the public
catalogue and event page, and the organizer's own view of an event."""
