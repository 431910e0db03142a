"""Use cases: commands in, results out, one unit of work each. Imports: domain, ports.

Grouped by area, each a package holding its commands, use cases and helpers: ``catalog``,
``sales``, ``delivery``, ``door``, ``identity``, ``organizers``, ``finance``. What every
area shares sits here: ``command`` (the strict base models and field types) and
``services`` (the ports and the unit-of-work runner).
"""
