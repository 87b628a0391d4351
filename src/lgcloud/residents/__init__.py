"""住民記録: persons and households, 異動 with append-only full-snapshot history, 除票, search.

- ``commands``: one pydantic command per 異動 (``MoveIn``, ``MoveWithin``, ``MoveOut`` …).
- ``handlers.plan``: the rules of 住民記録システム標準仕様書 §2.9, pure, over a ``RegistryView``.
- ``services.record_ido``: one 異動 = one transaction (history rows, 異動 record, audit entry, outbox events).
- ``queries``: search (§2.12), person with history, state at a past date (audited reads).
- ``replay``: rebuild the history from the 異動 records alone. ``demo``: generated residents.

See docs/residents.md.
"""
