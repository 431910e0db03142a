"""Organizers: who may sell. Creating an organizer, a customer's request for the organizer
role, and an admin's approval or rejection of it."""
