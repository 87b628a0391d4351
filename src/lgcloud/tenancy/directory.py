"""The national list of local governments (vendored, CC0), used to accept only real municipalities."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lgcloud.codes import is_valid_lgcode
from lgcloud.errors import LgcloudError


@dataclass(frozen=True)
class LocalGovernment:
    lg_code: str
    prefecture: str
    name: str
    name_kana: str

    @property
    def is_ward(self) -> bool:
        """Wards of designated cities (行政区) are listed as 「市 区」 and are not municipalities."""
        return " " in self.name


@cache
def directory() -> dict[str, LocalGovernment]:
    text = resources.files("lgcloud.data").joinpath("localgovjp/localgovjp-utf8.csv").read_text("utf-8-sig")
    rows = csv.DictReader(text.splitlines())
    return {row["lgcode"]: LocalGovernment(row["lgcode"], row["pref"], row["city"], row["citykana"]) for row in rows}


def municipalities() -> list[LocalGovernment]:
    """The 1,741 市区町村 (wards excluded)."""
    return [gov for gov in directory().values() if not gov.is_ward]


def lookup_municipality(lg_code: str) -> LocalGovernment:
    """The municipality for a code, or a clear error for a malformed, mis-checked or unknown code."""
    if not (len(lg_code) == 6 and lg_code.isascii() and lg_code.isdigit()):
        raise LgcloudError(f"全国地方公共団体コードは6桁の数字です: {lg_code!r}", code="lgcode-format", status=422)
    if not is_valid_lgcode(lg_code):
        raise LgcloudError(
            f"全国地方公共団体コードの検査数字が正しくありません: {lg_code}",
            code="lgcode-check-digit",
            status=422,
        )
    gov = directory().get(lg_code)
    if gov is None or gov.is_ward:
        raise LgcloudError(f"該当する市区町村がありません: {lg_code}", code="lgcode-unknown", status=422)
    return gov
