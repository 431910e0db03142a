"""The door over HTTP: a scanner checks tickets in (``/v1/scan``) and the organizer manages
the staff credentials scanners present (``/v1/organizer/.../staff-credentials``)."""
