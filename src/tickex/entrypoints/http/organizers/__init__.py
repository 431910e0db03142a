"""Organizers over HTTP: a user asks for the organizer role
(``/v1/me/organizer-request``) and admins decide (``/v1/admin/organizer-requests``)."""
