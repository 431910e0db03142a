"""The pure domain core of TickEx: stdlib and pydantic only; no clock, ids or I/O."""
