"""What TickEx ships for adapter authors: contract suites (``tickex.testing.contracts``)
and builders of valid domain objects (``tickex.testing.builders``). Needs the ``testing``
extra (pytest, hypothesis)."""
