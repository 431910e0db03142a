"""Finance over HTTP: the organizer's live sales and money (``/v1/organizer/metrics``)."""
