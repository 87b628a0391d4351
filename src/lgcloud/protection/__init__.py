"""抑止 and DV等支援措置 (standards.md §2.10).

- :mod:`lgcloud.protection.domain` — pure rules: suppressions, 一時解除, 支援措置 steps, alerts, 終了通知.
- :mod:`lgcloud.protection.periods` — 1-year periods (民法143条, leap years), the extension window.
- :mod:`lgcloud.protection.services` — persistence and the gate other packages call:
  ``is_protected``, ``protection_states`` and ``check_disclosure``.
"""
