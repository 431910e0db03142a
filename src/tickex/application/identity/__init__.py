"""Identity: who is asking. Accounts (register, verify email, reset and change password,
disable), sessions (log in, refresh with rotation, log out), Google sign-in, organizer API
keys, and turning a bearer credential into a ``Principal``."""
