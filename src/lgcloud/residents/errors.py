"""Errors of the 住民記録 rules. Each has a stable machine code and a Japanese message for the counter.

Raised before anything is written, so a violation always changes nothing::

    LgcloudError
     ├── ResidentRuleError (422)       a rule of 住民記録システム標準仕様書 §2.9 is broken
     │    ├── FutureIdoDate            異動日 in the future (allowed for 転出 only)
     │    ├── HeadChangeRequired       世帯主 leaves a household of 2+ remaining members
     │    ├── ReentryDetected          a 除票 matches by 住民票コード / 個人番号 / 在留カード番号
     │    ├── PossibleDuplicate (409)  氏名・性別・生年月日 match: confirm to proceed
     │    ├── InvalidZokugara          続柄 not allowed
     │    └── CancelNotAllowed         a later 異動 exists, or cancelling a cancellation
     ├── ResidentNotFound (404)
     └── ConcurrentUpdate (409)        the record changed since the form was opened
"""

from __future__ import annotations

from typing import Any

from lgcloud.errors import LgcloudError


class ResidentRuleError(LgcloudError):
    status = 422
    code = "resident-rule"


class FutureIdoDate(ResidentRuleError):
    code = "ido-date-future"


class IdoDateBeforeLatest(ResidentRuleError):
    code = "ido-date-before-latest"


class NotifiedDateFuture(ResidentRuleError):
    code = "todokede-date-future"


class HeadChangeRequired(ResidentRuleError):
    code = "head-change-required"


class ReentryDetected(ResidentRuleError):
    code = "reentry-detected"


class PossibleDuplicate(ResidentRuleError):
    status = 409
    code = "possible-duplicate"


class AlreadyResident(ResidentRuleError):
    status = 409
    code = "already-resident"


class InvalidZokugara(ResidentRuleError):
    code = "invalid-zokugara"


class InvalidHousehold(ResidentRuleError):
    code = "invalid-household"


class NotAResident(ResidentRuleError):
    code = "not-a-resident"


class CancelNotAllowed(ResidentRuleError):
    code = "cancel-not-allowed"


class InvalidField(ResidentRuleError):
    code = "invalid-field"

    def __init__(self, message: str, *, field: str, **detail: Any) -> None:
        super().__init__(message, field=field, **detail)
        self.field = field


class ResidentNotFound(LgcloudError):
    status = 404
    code = "resident-not-found"


class ConcurrentUpdate(LgcloudError):
    status = 409
    code = "concurrent-update"
