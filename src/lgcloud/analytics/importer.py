"""Import of per-municipality files (CSV or xlsx) with validation.

The file is read and every row checked before anything is stored: one bad row rejects the whole
file, with a report of every problem (row number as the user sees it — the header is row 1 —,
column, value, reason). See docs/analytics.md for the formats.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from lgcloud.analytics.municipalities import by_code, is_valid_lgcode, lgcode_check_digit
from lgcloud.analytics.status import StatusRecord
from lgcloud.analytics.vocab import Plan, Status, parse_fiscal_year, parse_plan, parse_status
from lgcloud.errors import LgcloudError

MAX_ROWS = 20_000

#: canonical column → accepted header spellings (compared after NFKC, lower case, no spaces)
STATUS_COLUMNS: dict[str, tuple[str, ...]] = {
    "lg_code": ("lg_code", "lgcode", "団体コード", "地方公共団体コード", "全国地方公共団体コード"),
    "name": ("name", "団体名", "市区町村名"),
    "prefecture": ("prefecture", "都道府県", "都道府県名"),
    "status": ("status", "導入状況", "クラウド導入状況"),
    "plan": ("plan", "導入計画", "クラウド導入計画"),
    "target_fy": ("target_fy", "目標年度", "導入目標年度"),
    "group": ("group", "グループ", "グループ名", "クラウドグループ"),
    "ref_date": ("ref_date", "基準日"),
}
STATUS_REQUIRED = ("lg_code", "status")

COST_COLUMNS: dict[str, tuple[str, ...]] = {
    "lg_code": STATUS_COLUMNS["lg_code"],
    "name": STATUS_COLUMNS["name"],
    "prefecture": STATUS_COLUMNS["prefecture"],
    "fiscal_year": ("fiscal_year", "年度"),
    "amount_yen": ("amount_yen", "経費", "情報システム経費", "金額", "金額(円)"),
}
COST_REQUIRED = ("lg_code", "fiscal_year", "amount_yen")

POPULATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "lg_code": STATUS_COLUMNS["lg_code"],
    "name": STATUS_COLUMNS["name"],
    "prefecture": STATUS_COLUMNS["prefecture"],
    "population": ("population", "人口", "総人口"),
}
POPULATION_REQUIRED = ("lg_code", "population")


@dataclass(frozen=True)
class Issue:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.row}行目" + (f" {self.column}" if self.column else "")
        shown = f"「{self.value}」" if self.value else ""
        return f"{where}{shown}: {self.message}"


class ImportRejected(LgcloudError):
    """The file was rejected as a whole; ``issues`` lists every problem found."""

    status = 422
    code = "import-rejected"

    def __init__(self, issues: list[Issue], file_name: str = "") -> None:
        shown = "\n".join(str(i) for i in issues[:50])
        more = f"\n…ほか {len(issues) - 50} 件" if len(issues) > 50 else ""
        head = f"{file_name or 'ファイル'} を取り込めません（{len(issues)} 件の誤り。何も登録していません）"
        super().__init__(
            f"{head}:\n{shown}{more}",
            issues=[i.__dict__ for i in issues],
        )
        self.issues = issues


@dataclass
class RawRow:
    number: int
    cells: dict[str, str]


@dataclass
class StatusImport:
    ref_date: date
    records: list[StatusRecord]
    warnings: list[Issue] = field(default_factory=list)
    file_name: str = ""


@dataclass
class CostImport:
    costs: dict[tuple[str, int], int]
    warnings: list[Issue] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(
        [Issue(1, "", "", "文字コードを判別できません（UTF-8 か Shift_JIS(cp932) で保存してください）")]
    )


def read_table(content: bytes, file_name: str) -> list[list[str]]:
    """All rows (header first) of a CSV or the first sheet of an xlsx, as text cells."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(content)
    if suffix in (".csv", ".txt", ""):
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(_decode(content)))]
    raise ImportRejected([Issue(1, "", file_name, "CSV (.csv) か Excel (.xlsx) のファイルを指定してください")])


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise ImportRejected([Issue(1, "", "", f"Excel ファイルとして読めません（{type(exc).__name__}）")]) from None
    sheet = workbook.worksheets[0]
    return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "").replace("_", "")


def map_rows(
    table: list[list[str]], columns: dict[str, tuple[str, ...]], required: Iterable[str]
) -> tuple[list[RawRow], list[Issue]]:
    """Header → canonical columns; blank lines are skipped; every header problem is an issue."""
    issues: list[Issue] = []
    if not table or not any(table[0]):
        return [], [Issue(1, "", "", "見出し行がありません")]
    spelling = {_header_key(s): canonical for canonical, names in columns.items() for s in names}
    mapping: dict[int, str] = {}
    for index, title in enumerate(table[0]):
        if not title:
            continue
        canonical = spelling.get(_header_key(title))
        if canonical is None:
            issues.append(Issue(1, title, title, "不明な列です（docs/analytics.md の形式を参照）"))
        elif canonical in mapping.values():
            issues.append(Issue(1, title, title, "同じ列が2回あります"))
        else:
            mapping[index] = canonical
    issues += [Issue(1, c, "", "必須の列がありません") for c in required if c not in mapping.values()]
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        rows.append(RawRow(number, {mapping[i]: raw[i].strip() for i in mapping if i < len(raw)}))
    if len(rows) > MAX_ROWS:
        issues.append(Issue(1, "", "", f"行数が多すぎます（{MAX_ROWS} 行まで）"))
    if not rows and not issues:
        issues.append(Issue(2, "", "", "データ行がありません"))
    return rows, issues


# --- validation ---------------------------------------------------------------------------------------


def check_lgcode(text: str) -> str:
    """The message for a bad code, or '' when it names one of the 1,741 市区町村."""
    code = unicodedata.normalize("NFKC", text).strip()
    if not code:
        return "団体コードが空です"
    if code.isdigit() and len(code) == 5:
        return "5桁です。検査数字付きの6桁のコードを指定してください（先頭の0が落ちていませんか）"
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return "6桁の数字ではありません"
    if not is_valid_lgcode(code):
        return f"検査数字が誤っています（{code[:5]} の検査数字は {lgcode_check_digit(code[:5])}）"
    if code not in by_code():
        if code[2:5] == "000":
            return "都道府県のコードです。市区町村のコードを指定してください"
        return "全国の市区町村（1,741団体）にないコードです（政令市の区や廃止された団体は対象外）"
    return ""


def _normalised_code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _parse_date(text: str) -> date:
    """'2018-06-15', '2018/6/15', 'H30.6.15', '平成30年6月15日' → date."""
    value = unicodedata.normalize("NFKC", text).strip()
    for old, new in (("年", "-"), ("月", "-"), ("日", ""), ("/", "-"), (".", "-")):
        value = value.replace(old, new)
    year, month, day = value.split("-")
    western = parse_fiscal_year(year) if not year.isdigit() else int(year)
    return date(int(western or 0), int(month), int(day))


def _check_field(issues: list[Issue], row: RawRow, column: str, parse: Callable[[str], Any]) -> Any:
    value = row.cells.get(column, "")
    try:
        return parse(value)
    except LgcloudError as exc:
        issues.append(Issue(row.number, column, value, exc.message))
    except ValueError:
        issues.append(Issue(row.number, column, value, "値を読めません"))
    return None


def _check_codes(rows: list[RawRow], issues: list[Issue], key: Callable[[RawRow], Any] | None = None) -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        raw = row.cells.get("lg_code", "")
        message = check_lgcode(raw)
        if message:
            issues.append(Issue(row.number, "lg_code", raw, message))
            continue
        ident = key(row) if key else _normalised_code(raw)
        if ident in seen:
            issues.append(Issue(row.number, "lg_code", raw, f"{seen[ident]}行目と重複しています"))
        else:
            seen[ident] = row.number


def _name_warnings(rows: list[RawRow]) -> list[Issue]:
    """Name and prefecture columns are cross-checks of the code: a mismatch is reported, not fatal."""
    warnings = []
    for row in rows:
        prefecture = row.cells.get("prefecture", "")
        known = by_code().get(_normalised_code(row.cells.get("lg_code", "")))
        if prefecture and known and prefecture != known.prefecture:
            warnings.append(
                Issue(row.number, "prefecture", prefecture, f"都道府県がコードの団体（{known.prefecture}）と異なります")
            )
        name = row.cells.get("name", "")
        municipality = by_code().get(_normalised_code(row.cells.get("lg_code", "")))
        if (
            name
            and municipality
            and name.replace(" ", "") not in (municipality.name, municipality.prefecture + municipality.name)
        ):
            warnings.append(Issue(row.number, "name", name, f"団体名がコードの団体（{municipality.name}）と異なります"))
    return warnings


def _ref_date(rows: list[RawRow], given: date | None, issues: list[Issue]) -> date | None:
    found: dict[date, int] = {}
    for row in rows:
        text = row.cells.get("ref_date", "")
        if not text:
            continue
        parsed = _check_field(issues, row, "ref_date", _parse_date)
        if parsed is not None:
            found.setdefault(parsed, row.number)
    if given is not None:
        found.setdefault(given, 0)
    if len(found) > 1:
        listed = "、".join(d.isoformat() for d in sorted(found))
        issues.append(
            Issue(
                min(n for n in found.values() if n) if any(found.values()) else 1,
                "ref_date",
                listed,
                "基準日が複数あります。基準日の異なるデータは混ぜられません（基準日ごとに分けてください）",
            )
        )
        return None
    if not found:
        if any(row.cells.get("ref_date") for row in rows):
            return None
        issues.append(Issue(1, "ref_date", "", "基準日がありません（列「基準日」か --date で指定してください）"))
        return None
    return next(iter(found))


def _status_record(row: RawRow, issues: list[Issue]) -> StatusRecord | None:
    status = _check_field(issues, row, "status", parse_status)
    plan = _check_field(issues, row, "plan", parse_plan)
    target = _check_field(issues, row, "target_fy", parse_fiscal_year)
    if status is Status.SHARED and plan not in (None, Plan.SHARED):
        issues.append(
            Issue(
                row.number,
                "plan",
                row.cells.get("plan", ""),
                "自治体クラウド導入済みの団体に別の導入計画は指定できません",
            )
        )
        return None
    if status is None or (row.cells.get("plan") and plan is None) or (row.cells.get("target_fy") and target is None):
        return None
    group = unicodedata.normalize("NFKC", row.cells.get("group", "")).strip() or None
    return StatusRecord(_normalised_code(row.cells["lg_code"]), status, plan, target, group)


def parse_status_file(content: bytes, file_name: str, ref_date: date | None = None) -> StatusImport:
    """Validate a whole status file; raise :class:`ImportRejected` listing every problem."""
    rows, issues = map_rows(read_table(content, file_name), STATUS_COLUMNS, STATUS_REQUIRED)
    if issues:
        raise ImportRejected(issues, file_name)
    _check_codes(rows, issues)
    the_date = _ref_date(rows, ref_date, issues)
    records = [r for row in rows if (r := _status_record(row, issues)) is not None]
    if issues or the_date is None:
        raise ImportRejected(sorted(issues, key=lambda i: i.row), file_name)
    return StatusImport(the_date, records, _name_warnings(rows), file_name)


def _parse_amount(text: str) -> int:
    value = unicodedata.normalize("NFKC", text).replace(",", "").replace("円", "").strip()
    amount = int(value)
    if amount < 0:
        raise LgcloudError("金額が負です", code="bad-amount")
    return amount


def parse_cost_file(content: bytes, file_name: str) -> CostImport:
    """lg_code, fiscal_year, amount_yen (whole yen) per row; (code, year) must be unique."""
    rows, issues = map_rows(read_table(content, file_name), COST_COLUMNS, COST_REQUIRED)
    if issues:
        raise ImportRejected(issues, file_name)
    _check_codes(rows, issues, key=lambda r: (_normalised_code(r.cells["lg_code"]), r.cells.get("fiscal_year")))
    costs: dict[tuple[str, int], int] = {}
    for row in rows:
        year = _check_field(issues, row, "fiscal_year", parse_fiscal_year)
        amount = _check_field(issues, row, "amount_yen", _parse_amount)
        if year is None and not row.cells.get("fiscal_year"):
            issues.append(Issue(row.number, "fiscal_year", "", "年度がありません"))
        if year is not None and amount is not None:
            costs[(_normalised_code(row.cells["lg_code"]), year)] = amount
    if issues:
        raise ImportRejected(sorted(issues, key=lambda i: i.row), file_name)
    return CostImport(costs, _name_warnings(rows))


def parse_population_file(content: bytes, file_name: str) -> dict[str, int]:
    """lg_code, population: an official total-population table (e.g. 住民基本台帳人口)."""
    rows, issues = map_rows(read_table(content, file_name), POPULATION_COLUMNS, POPULATION_REQUIRED)
    if issues:
        raise ImportRejected(issues, file_name)
    _check_codes(rows, issues)
    values: dict[str, int] = {}
    for row in rows:
        count = _check_field(issues, row, "population", _parse_amount)
        if count is not None:
            values[_normalised_code(row.cells["lg_code"])] = count
    if issues:
        raise ImportRejected(sorted(issues, key=lambda i: i.row), file_name)
    return values
