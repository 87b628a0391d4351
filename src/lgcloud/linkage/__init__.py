"""連携 (linkage): the residents' transactional outbox, published as CloudEvents in IMI/GIF vocabulary.

- :mod:`~lgcloud.linkage.outbox` — read the outbox; ``publish`` for changes outside the 異動 service.
- :mod:`~lgcloud.linkage.cloudevents`, :mod:`~lgcloud.linkage.vocabulary` — envelopes and their ``data``.
- :mod:`~lgcloud.linkage.catalogue`, :mod:`~lgcloud.linkage.schemas` — event types and JSON Schemas.
- :mod:`~lgcloud.linkage.feed` — the PULL feed (cursor = per-municipality gap-free seq, long poll).
- :mod:`~lgcloud.linkage.subscriptions`, :mod:`~lgcloud.linkage.webhooks`, :mod:`~lgcloud.linkage.signing`
  — signed webhooks with retries, dead letters and replay; ``deliver_due`` is the worker tick.
- :mod:`~lgcloud.linkage.files` — 差分 / 全件 files in the juki migration layout, with a manifest.
- :mod:`~lgcloud.linkage.handoff` — 団体間: 転出証明書情報 → 特例転入 → 転入通知 between group members.
- :mod:`~lgcloud.linkage.worker` — the loop running all of the above (``lgcloud linkage worker``).
"""
