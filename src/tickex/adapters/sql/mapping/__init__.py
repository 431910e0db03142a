"""Rows <-> domain objects for the SQL adapter, one module an area.

The domain never sees a row: a repository reads rows and hands out dataclasses built by
these functions, and writes the values these functions make. ``common`` holds what every
area uses (copying same-named columns, money, JSON value objects, roles).
"""
