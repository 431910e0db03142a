"""Ports: the interfaces the application needs from the world (ABCs, so that hosts such
as Litestar can validate injected values). Imports: domain only."""
