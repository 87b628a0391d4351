"""Docs are part of the product: the glossary covers the domain, and the README's links resolve."""

import re
from pathlib import Path

from lgcloud.codes import all_code_tables

ROOT = Path(__file__).parents[1]
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")

#: Terms every user meets; each must say which name the code uses.
CORE_TERMS = ["異動", "除票", "宛名番号", "世帯番号", "履歴番号", "縮退", "外字", "支援措置", "抑止", "住民票の写し",
              "中間標準レイアウト", "特例転入", "全件", "差分", "和暦", "続柄", "名寄せ", "全国地方公共団体コード",
              "自治体クラウド", "監査ログ", "文字情報基盤"]


def test_glossary_has_the_core_terms() -> None:
    missing = [term for term in CORE_TERMS if term not in GLOSSARY]
    assert missing == []


def test_glossary_names_every_code_table() -> None:
    missing = [t.title for t in all_code_tables() if t.title not in GLOSSARY and t.name not in GLOSSARY]
    assert missing == []


def test_readme_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!http|#)[^)]+)\)", readme)
    assert links and [link for link in links if not (ROOT / link).exists()] == []
