"""Identity over HTTP: accounts and sessions (``/v1/auth``, ``/v1/me``,
``/v1/admin/users``), email verification and password reset, Google sign-in, the
organizer's API keys and the account pages the emails link to (``/account``)."""
