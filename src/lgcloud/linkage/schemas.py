"""One JSON Schema (draft 2020-12) per event type, generated from the catalogue.

Each schema describes the whole CloudEvent (envelope + ``data``); the type-specific part is the
``異動事由`` each type may carry. The API publishes them; a test validates real events against them.
"""

from __future__ import annotations

from typing import Any

from lgcloud.linkage.catalogue import CATALOGUE, EventKind, kind_of
from lgcloud.linkage.cloudevents import SEQ_ATTRIBUTE, schema_uri

DIALECT = "https://json-schema.org/draft/2020-12/schema"
STR = {"type": "string"}
OPT_STR = {"type": ["string", "null"]}
OPT_BOOL = {"type": ["boolean", "null"]}


def _date() -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "description": "IMI 日付型。表記は非暦日・不詳のときのみ（戸籍の表記のまま）",
        "properties": {"@type": {"const": "日付型"}, "標準型日付": {**OPT_STR, "format": "date"}, "表記": OPT_STR},
        "required": ["標準型日付", "表記"],
    }


def _obj(props: dict[str, Any], *, nullable: bool = False, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "properties": props,
        "required": required if required is not None else list(props),
    }


ADDRESS = _obj(
    {
        "@type": {"const": "住所型"},
        "表記": STR,
        "全国地方公共団体コード": {"type": "string", "pattern": r"^\d{6}$"},
        "都道府県": STR,
        "市区町村": STR,
        "町字": STR,
        "番地以下": OPT_STR,
        "方書": OPT_STR,
        "郵便番号": OPT_STR,
        "住所コード": OPT_STR,
    },
    nullable=True,
)
OTHER_NAME = _obj(
    {"@type": {"const": "氏名型"}, "表記": STR, "カナ表記": OPT_STR, "カナ確認済み": {"type": "boolean"}}, nullable=True
)
PERSON = _obj(
    {
        "@type": {"const": "人型"},
        "宛名番号": STR,
        "世帯番号": STR,
        "履歴番号": {"type": "integer", "minimum": 1},
        "住民状態": {"enum": ["住民", "転出", "死亡", "消除"]},
        "住民種別": {"enum": ["日本人住民", "外国人住民"]},
        "氏名": _obj(
            {
                "@type": {"const": "氏名型"},
                "姓名": {"type": "string", "description": "MJ 互換の Unicode。IVS を含むことがある。正規化しないこと"},
                "姓": STR,
                "名": STR,
                "姓名カナ表記": OPT_STR,
                "カナ確認済み": {"type": "boolean"},
                "姓名ローマ字表記": OPT_STR,
            }
        ),
        "旧氏": OTHER_NAME,
        "通称": OTHER_NAME,
        "性別": {"enum": ["男", "女"]},
        "性別コード": {"enum": ["1", "2"]},
        "生年月日": _date(),
        "世帯主氏名": OPT_STR,
        "続柄": STR,
        "世帯内順位": {"type": "integer"},
        "本籍": OPT_STR,
        "筆頭者": OPT_STR,
        "住所": ADDRESS,
        "住民となった年月日": _date(),
        "住所を定めた年月日": _date(),
        "届出年月日": _date(),
        "転入前住所": OPT_STR,
        "住民票コード": OPT_STR,
        "個人番号": {**OPT_STR, "description": "mynumber:read を持つ呼出しにのみ含まれる"},
        "他業務": {"type": "object"},
        "除票": {"type": ["object", "null"]},
        "外国人住民": {"type": ["object", "null"]},
        "備考": OPT_STR,
    },
    required=["@type", "宛名番号", "世帯番号", "履歴番号", "住民状態", "氏名", "性別コード", "生年月日", "住所"],
)


def _ido(kind: EventKind | None) -> dict[str, Any]:
    reason: dict[str, Any] = {"enum": list(kind.reasons)} if kind else STR
    return _obj(
        {
            "異動番号": {"type": "integer"},
            "異動事由": reason,
            "異動事由区分": {"enum": ["記載", "消除", "修正"]},
            "異動日": _date(),
            "処理日": {"type": "string", "format": "date"},
            "届出日": {**OPT_STR, "format": "date"},
            "取消対象異動番号": {"type": ["integer", "null"]},
            "本人異動": {"type": "boolean", "description": "false: 世帯員の異動に伴って記載が改められた者"},
        }
    )


FLAGS = {
    "支援対象者": {**OPT_BOOL, "description": "true: DV等支援対象者。null: 判定できない（保護対象として扱う）"},
    "同一世帯に支援対象者": {
        **OPT_BOOL,
        "description": "true: 本人は支援対象者ではないが、同じ世帯（同じ住所）に支援対象者がいる。住所を開示しないこと",
    },
    "抑止": {
        "type": ["object", "null"],
        "description": "他システムへ伝える抑止（処理 → レベル）。一時解除は伝えない",
        "additionalProperties": {"enum": ["エラー", "アラート", "処理可"]},
    },
}
PROTECTION = {"type": "object", "description": "抑止・支援措置の変更の内容（設定番号、処理、レベル、期間など）"}


def event_schema(event_type: str) -> dict[str, Any]:
    kind = kind_of(event_type)
    if kind is not None and kind.family == "protection":
        data = _obj({"保護": PROTECTION, **FLAGS})
    else:
        data = _obj({"異動": _ido(kind), "人": PERSON, **FLAGS})
    return {
        "$schema": DIALECT,
        "$id": schema_uri(event_type),
        "title": f"{kind.title if kind else event_type} ({event_type})",
        "description": kind.description if kind else "",
        "type": "object",
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "minLength": 1},
            "source": {"type": "string", "pattern": r"^urn:lgcloud:municipality:\d{6}$"},
            "type": {"const": event_type},
            "subject": STR,
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": schema_uri(event_type)},
            SEQ_ATTRIBUTE: {"type": "integer", "minimum": 1},
            "data": data,
        },
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            SEQ_ATTRIBUTE,
            "data",
        ],
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    return {kind.type: event_schema(kind.type) for kind in CATALOGUE}
