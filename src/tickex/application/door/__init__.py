"""Door: admission. Scanning a signed ticket token (check-in and exit, idempotent by the
scanner's nonce) and the event-scoped staff device credentials that scanners use."""
