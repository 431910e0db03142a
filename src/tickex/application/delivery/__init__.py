"""Delivery: side effects after commit. The worker that drains the outbox (emails with the
tickets' QR codes, notifications, refunds at the provider) with retries and backoff, and
the dead letters it gave up on."""
