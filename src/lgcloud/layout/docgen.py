"""Markdown documentation of a layout, generated from its YAML (``docs/layouts/<name>.md``).

Regenerate with ``lgcloud migrate layout-doc juki --out docs/layouts/juki.md``; a test fails when the
committed page differs from what the YAML produces.
"""

from __future__ import annotations

from lgcloud.layout.model import FileSpec, Item, Layout, Rule

TYPE_JA = {"string": "文字列", "text": "文字列(日本語)", "kana": "カタカナ", "alpha": "英字", "digits": "数字列",
           "integer": "整数", "decimal": "数値", "date": "日付", "flag": "フラグ(0/1)", "code": "コード"}
CHECK_JA = {"atena": "M11W2-7(宛名番号・世帯番号)", "mynumber": "個人番号", "juminhyo_code": "住民票コード",
            "lg_code": "全国地方公共団体コード"}


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _length(it: Item) -> str:
    if not it.length and not it.min_length:
        return ""
    unit = "字" if it.length_unit == "chars" else "バイト"
    if it.min_length and it.min_length != it.length:
        return f"{it.min_length}〜{it.length or ''}{unit}"
    return f"{it.length}{unit}"


def _notes(it: Item) -> str:
    notes = []
    if it.code:
        notes.append(f"コード表「{it.code}」")
    if it.pattern:
        notes.append(f"書式 `{it.pattern}`")
    if it.check_digit:
        notes.append(f"検査数字: {CHECK_JA[it.check_digit]}")
    if it.minimum is not None or it.maximum is not None:
        lo = "" if it.minimum is None else f"{it.minimum:g}"
        hi = "" if it.maximum is None else f"{it.maximum:g}"
        notes.append(f"範囲 {lo}〜{hi}")
    if it.date_style:
        notes.append(f"日付形式 {it.date_style}")
    if it.unknown_allowed:
        notes.append("不詳可")
    if it.non_calendar_allowed:
        notes.append("暦にない日可")
    if it.sensitive:
        notes.append("報告では伏字")
    if it.description:
        notes.append(it.description)
    return _esc("。".join(notes))


def _rule_text(rule: Rule) -> str:
    return f"`{rule.id}` ({rule.type}) {_esc(rule.title)}"


def _fixed_dialect(layout: Layout) -> tuple[str, str]:
    """(name, date style) of the layout's first fixed-length dialect, for the width column."""
    for name, d in layout.dialects.items():
        if d.get("format") == "fixed":
            return name, d.get("date_style", "seireki")
    return "", layout.dialects.get("default", {}).get("date_style", "seireki")


def _file_md(f: FileSpec, layout: Layout) -> list[str]:
    out = [f"## {f.title} (`{f.name}`)", "", _esc(f.description), ""]
    if f.primary_key:
        out.append(f"- 主キー: {' + '.join(f.primary_key)}")
    for ref in f.references:
        out.append(f"- 参照: {' + '.join(ref.items)} → `{ref.file}` の {' + '.join(ref.target)}")
    for rule in f.rules:
        out.append(f"- 規則: {_rule_text(rule)}")
    if f.match:
        out.append(f"- ファイル名の照合: {', '.join(f'`{m}`' for m in f.match)}")
    fixed, style = _fixed_dialect(layout)
    heading = f"固定長幅 ({fixed})" if fixed else "固定長幅"
    out += ["", f"| # | データ項目名称 | ID | 型 | 桁数 | 必須 | 外字 | {heading} | 備考 |",
            "|---:|---|---|---|---|:-:|:-:|---:|---|"]
    for i, it in enumerate(f.items, start=1):
        width = it.fixed_width(style)
        out.append(f"| {i} | {_esc(it.name)} | `{it.id or ''}` | {TYPE_JA[it.type]} | {_length(it)} | "
                   f"{'○' if it.required else ''} | {'○' if it.gaiji else ''} | {width} | {_notes(it)} |")
    return [*out, ""]


def render_markdown(layout: Layout) -> str:
    out = [f"# {layout.title} (`{layout.name}` v{layout.version})", "",
           "<!-- generated from src/lgcloud/layout/layouts/"
           f"{layout.name}.yaml by `lgcloud migrate layout-doc {layout.name}`; do not edit by hand -->", "",
           _esc(layout.description), "", "形式の説明は [format.md](format.md)。", "", "## ファイル", ""]
    out += [f"- `{f.name}` — {f.title} ({len(f.items)} 項目)" for f in layout.files]
    out += ["", "## 方言 (dialects)", "", "| 名前 | 形式 | 文字コード | 見出し | 改行 | 日付 |",
            "|---|---|---|:-:|---|---|"]
    for name, d in layout.dialects.items():
        out.append(f"| `{name}` | {d.get('format', 'csv')} | {d.get('encoding', 'utf-8')} | "
                   f"{'○' if d.get('header', True) else ''} | {d.get('line_end', 'lf')} | "
                   f"{d.get('date_style', 'seireki')} |")
    out.append("")
    for f in layout.files:
        out += _file_md(f, layout)
    out += ["## コード表", ""]
    for table in layout.code_tables.values():
        out += [f"### {table.name}", "", f"出典: {_esc(table.source)}" if table.source else "", "",
                "| コード | 意味 |", "|---|---|"]
        out += [f"| `{code}` | {_esc(text)} |" for code, text in table.values.items()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
