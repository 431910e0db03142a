"""Use cases: commands in, results out, one unit of work each. Imports: domain, ports."""
