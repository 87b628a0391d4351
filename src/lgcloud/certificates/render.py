"""Render a composed :class:`Document` to PDF with WeasyPrint and IPAmj明朝.

- The font is loaded by ``@font-face`` from its file (never by family-name lookup) and subset on
  embedding; after rendering, the PDF's fonts are checked: only the IPAmj subset may be there.
- Every printed text is checked against the font's cmap (incl. format 14) before rendering.
- 発行番号 ``YYYYMMDD 市区町村名 端末 プリンタ 連番 頁/総頁`` is in every page's bottom margin; the 認証文,
  the synthetic 公印 and the verification QR code close the document, on its last page.
- One ``FontConfiguration`` and stylesheet are reused (the 46 MB font is parsed once per process);
  WeasyPrint is not thread-safe with a shared configuration, so rendering holds a lock.
"""

from __future__ import annotations

import base64
import io
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image, ImageDraw, ImageFont

from lgcloud.certificates import glyphs
from lgcloud.certificates.fit import fit
from lgcloud.certificates.model import CertType, Document, Field, Overflow
from lgcloud.errors import LgcloudError

TEMPLATES = Path(__file__).parent / "templates"
BASE_PT = 10.0
PT_MM = 0.3528
#: value column width (mm) per layout: 180 mm content minus number and label columns
VALUE_MM = {"person": 180 - 8 - 42, "header": 180 - 42}

_lock = threading.Lock()


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def stylesheet_text(footer: str) -> str:
    font_url = glyphs.font_path().as_uri()
    return f"""
@font-face {{ font-family: "{glyphs.FONT_FAMILY}"; src: url("{font_url}"); }}
@page {{
  size: A4 portrait; margin: 15mm 15mm 18mm 15mm;
  font-family: "{glyphs.FONT_FAMILY}";
  @bottom-left {{ content: {_css_string(footer + " ")} counter(page) "/" counter(pages); font-size: 8pt; }}
}}
html {{ font-family: "{glyphs.FONT_FAMILY}"; font-size: {BASE_PT}pt; line-height: 1.35; }}
h1 {{ text-align: center; font-size: 20pt; font-weight: normal; margin: 0 0 2mm; }}
.subtitle {{ text-align: center; margin: 0 0 4mm; font-size: 9pt; }}
.reissue {{ font-size: 11pt; }}
table {{ width: 180mm; border-collapse: collapse; table-layout: fixed; margin-bottom: 3mm; }}
th, td {{ border: 0.3mm solid #000; padding: 1mm 1.5mm; vertical-align: middle; }}
th {{ width: 42mm; text-align: left; font-weight: normal; background: #f2f2f2; }}
td.no {{ width: 8mm; text-align: center; }}
td.value {{ white-space: nowrap; overflow: hidden; }}
td.value span {{ white-space: nowrap; }}
section.person {{ break-inside: avoid; }}
table.history td {{ font-size: 8.5pt; }}
table.history td.date {{ width: 40mm; }}
table.history td.reason {{ width: 30mm; }}
.end {{ text-align: right; margin: 2mm 0 6mm; }}
.attest {{ break-inside: avoid; margin-top: 6mm; }}
.attestation {{ margin: 0 0 3mm; }}
.issuer {{ display: flex; justify-content: flex-end; align-items: center; gap: 4mm; font-size: 13pt; }}
.seal {{ width: 22mm; height: 22mm; }}
.verify {{ display: flex; align-items: center; gap: 3mm; margin-top: 4mm; font-size: 7.5pt; }}
.qr {{ width: 20mm; height: 20mm; }}
.watermark {{ position: fixed; top: 110mm; left: 20mm; font-size: 48pt; color: #c8c8c8; transform: rotate(-30deg); }}
"""


@lru_cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


@lru_cache
def _weasy() -> Any:
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    return FontConfiguration()


def _png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@lru_cache(maxsize=64)
def seal_image(issuer_short: str) -> str:
    """A synthetic square 公印 (black, ≤25 mm): the title's characters in columns read right to left.

    It is generated, not a scan of any real seal; a real deployment replaces it with the
    municipality's registered 電子公印 image.
    """
    text = f"{issuer_short}之印"
    columns = 3 if len(text) > 4 else 2
    rows = -(-len(text) // columns)
    size, border = 300, 14
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle([border // 2, border // 2, size - border // 2, size - border // 2], outline="black", width=border)
    cell_w, cell_h = (size - 3 * border) / columns, (size - 3 * border) / rows
    font = ImageFont.truetype(str(glyphs.font_path()), int(min(cell_w, cell_h) * 0.92))
    for i, ch in enumerate(text):
        col, row = divmod(i, rows)
        x = size - 1.5 * border - (col + 1) * cell_w + cell_w / 2
        y = 1.5 * border + row * cell_h + cell_h / 2
        draw.text((x, y), ch, fill="black", font=font, anchor="mm")
    return _png_data_uri(image)


def qr_data_uri(payload: str) -> str:
    image = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    overflows: tuple[str, ...]  # 文字超過リスト


def _view_field(f: Field, capacity_mm: float, policy: Overflow, overflows: list[str]) -> dict[str, Any]:
    capacity_em = (capacity_mm - 4) / (BASE_PT * PT_MM) - 1
    result = fit(f.value, capacity_em)
    value = f.value
    if result.overflow:
        overflows.append(f"{f.label}: {f.value}")
        value = "" if policy is Overflow.BLANK else value
    return {"label": f.label, "value": value, "percent": result.percent, "css": "value"}


def _view(doc: Document, policy: Overflow) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    overflows: list[str] = []
    header = [_view_field(f, VALUE_MM["header"], policy, overflows) for f in doc.header]
    blocks = [
        {
            "number": i + 1,
            "fields": [_view_field(f, VALUE_MM["person"], policy, overflows) for f in b.fields],
            "history": b.history,
        }
        for i, b in enumerate(doc.blocks)
    ]
    return header, blocks, overflows


def render_html(doc: Document, *, code: str | None, preview: bool, policy: Overflow) -> tuple[str, list[str]]:
    header, blocks, overflows = _view(doc, policy)
    issuer_short = doc.issuer.removeprefix(doc.issuer[: doc.issuer.find(doc.municipality)])
    html = (
        _environment()
        .get_template("certificate.html")
        .render(
            doc=doc,
            header=header,
            blocks=blocks,
            preview=preview,
            seal=seal_image(issuer_short),
            qr=qr_data_uri(f"LGCLOUD-CERT:{code}") if code else None,
            code=code,
        )
    )
    return html, overflows


def render_pdf(
    doc: Document,
    *,
    footer: str,
    code: str | None = None,
    preview: bool = False,
    policy: Overflow = Overflow.TRUNCATE,
) -> Rendered:
    """PDF bytes and page count. Raises UnmappedGaiji before rendering anything the font cannot print."""
    glyphs.check_texts([*doc.texts(), ("発行番号", footer)])
    if doc.cert_type is CertType.JUMINHYO and len(doc.blocks) != 1:
        raise LgcloudError("個人票は1人ずつ発行します", code="certificate-one-person")
    html, overflows = render_html(doc, code=code, preview=preview, policy=policy)
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    with _lock:
        config = _weasy()
        css = CSS(string=stylesheet_text(footer), font_config=config)
        document = HTML(string=html, base_url=str(TEMPLATES)).render(stylesheets=[css], font_config=config)
        pdf = document.write_pdf()
    assert_only_certificate_font(pdf)
    return Rendered(pdf, len(document.pages), tuple(overflows))


def embedded_fonts(pdf: bytes) -> set[str]:
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")).lstrip("/"))
    return names


def assert_only_certificate_font(pdf: bytes) -> None:
    """Only a *subset* (``ABCDEF+``) of IPAmj明朝: a fallback font or a full embed is a defect."""
    pattern = re.compile(rf"^[A-Z]{{6}}\+{glyphs.FONT_FAMILY}$")
    bad = [n for n in embedded_fonts(pdf) if not pattern.match(n)]
    if bad:
        raise LgcloudError(
            f"証明書に IPAmj明朝 以外のフォントが埋め込まれました: {', '.join(sorted(bad))}",
            code="certificate-font-fallback",
            status=500,
        )


def render_letter(
    title: str, addressee: str, lines: list[str], *, issuer: str, municipality: str, date_text: str, footer: str
) -> bytes:
    """A one-page notice (e.g. 支援措置期間終了通知) in the certificate font, with the 公印."""
    glyphs.check_texts([("表題", title), ("宛先", addressee), ("発行者", issuer), *(("本文", line) for line in lines)])
    issuer_short = issuer[issuer.find(municipality) :] if municipality in issuer else issuer
    html = (
        _environment()
        .get_template("notice.html")
        .render(
            title=title,
            addressee=addressee,
            lines=lines,
            issuer=issuer,
            date_text=date_text,
            seal=seal_image(issuer_short),
        )
    )
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    with _lock:
        config = _weasy()
        css = CSS(string=stylesheet_text(footer), font_config=config)
        pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[css], font_config=config)
    assert_only_certificate_font(pdf)
    return pdf
