"""Charts of the analytics tables (matplotlib, Agg backend) as SVG or PNG.

Every chart is drawn from a :class:`Table`, so a chart never shows numbers its table does not.
Each series' artists carry the SVG id ``series<i>-<j>``: tests and tools can count series in the file.
Japanese labels use IPAexGothic when the ``matplotlib-fontja`` package is installed; SVG keeps text as
text, so a browser renders it with its own fonts either way.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from lgcloud.analytics.tables import Table
from lgcloud.errors import LgcloudError

FORMATS = ("svg", "png")
_SERIES_ID = re.compile(r'id="series(\d+)-\d+"')
PALETTE = ("#9e9e9e", "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")


@cache
def japanese_font() -> str | None:
    """Register a bundled Japanese font if one is installed; its family name, else None."""
    try:
        import matplotlib_fontja.matplotlib_fontja as fontja  # type: ignore[import-not-found]
    except ImportError:
        fontja = None
    if fontja is not None:
        font_manager.fontManager.addfont(fontja.get_font_ttf_path())
        return "IPAexGothic"
    for family in ("IPAexGothic", "IPAGothic", "Noto Sans CJK JP", "Noto Sans JP", "TakaoGothic"):
        if any(f.name == family for f in font_manager.fontManager.ttflist):
            return family
    return None


@dataclass
class Chart:
    key: str
    title: str
    series: tuple[str, ...]
    figure: Figure

    def render(self, fmt: str = "svg") -> bytes:
        if fmt not in FORMATS:
            raise LgcloudError(f"図の形式「{fmt}」には対応していません（svg / png）", code="bad-format")
        buffer = io.BytesIO()
        with (
            warnings.catch_warnings(),
            matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": self.key}),
        ):
            warnings.filterwarnings("ignore", message="Glyph .* missing")
            self.figure.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight")
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        path.write_bytes(self.render(fmt))
        return path


def series_in_svg(svg: bytes | str) -> int:
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    return len(set(_SERIES_ID.findall(text)))


def _style() -> dict[str, object]:
    """rc settings to draw under: fonts are fixed when a text is created, so no global change."""
    family = japanese_font()
    return {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"]}


def _figure(title: str, width: float = 8.0, height: float = 4.5) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.suptitle(title)
    return figure


def _numbers(table: Table, column: str) -> list[float]:
    return [float(v) if isinstance(v, int | float) else 0.0 for v in table.column(column)]


def bar_chart(*args: object, **kwargs: object) -> Chart:
    with matplotlib.rc_context(_style()):
        return _bar_chart(*args, **kwargs)  # type: ignore[arg-type]


def line_chart(*args: object, **kwargs: object) -> Chart:
    with matplotlib.rc_context(_style()):
        return _line_chart(*args, **kwargs)  # type: ignore[arg-type]


def _bar_chart(
    table: Table,
    category: str,
    series: Sequence[str],
    *,
    title: str | None = None,
    stacked: bool = False,
    ylabel: str = "",
    skip_rows: Sequence[str] = ("計",),
    key: str | None = None,
) -> Chart:
    kept = [r for r in table.rows if r[table.columns.index(category)] not in skip_rows]
    view = Table(table.key, table.title, table.columns, tuple(kept))
    labels = [str(v) for v in view.column(category)]
    figure = _figure(title or table.title, width=max(8.0, 0.35 * len(labels) + 3))
    axes = figure.subplots()
    positions = list(range(len(labels)))
    width = 0.8 if stacked else 0.8 / max(len(series), 1)
    bottoms = [0.0] * len(labels)
    for i, name in enumerate(series):
        values = _numbers(view, name)
        offsets = positions if stacked else [p - 0.4 + width * (i + 0.5) for p in positions]
        bars = axes.bar(
            offsets,
            values,
            width,
            bottom=bottoms if stacked else None,
            label=name,
            color=PALETTE[i % len(PALETTE)],
        )
        for j, patch in enumerate(bars.patches):
            patch.set_gid(f"series{i}-{j}")
        if stacked:
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_xticks(
        positions, labels, rotation=60 if len(labels) > 8 else 0, ha="right" if len(labels) > 8 else "center"
    )
    axes.set_ylabel(ylabel)
    if len(series) > 1:
        axes.legend()
    axes.grid(axis="y", alpha=0.3)
    return Chart(key or table.key, title or table.title, tuple(series), figure)


def _line_chart(table: Table, x: str, series: Sequence[str], *, title: str | None = None, ylabel: str = "") -> Chart:
    figure = _figure(title or table.title)
    axes = figure.subplots()
    labels = [str(v) for v in table.column(x)]
    for i, name in enumerate(series):
        points = [(j, float(v)) for j, v in enumerate(table.column(name)) if isinstance(v, int | float)]
        (line,) = axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            marker="o",
            label=name,
            color=PALETTE[(i + 1) % len(PALETTE)],
        )
        line.set_gid(f"series{i}-0")
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axes.set_ylim(bottom=0)
    axes.set_ylabel(ylabel)
    axes.legend()
    axes.grid(alpha=0.3)
    return Chart(table.key, title or table.title, tuple(series), figure)


# --- the charts of the analytics views ---------------------------------------------------------------


def status_breakdown_chart(table: Table) -> Chart:
    """Stacked bars of a status-by-prefecture or status-by-band table."""
    series = [c for c in table.columns[1:] if c not in ("計", "自治体クラウド率(%)")]
    series = [c for c in series if any(isinstance(v, int) and v for v in table.column(c))] or series[:1]
    return bar_chart(table, table.columns[0], series, stacked=True, ylabel="団体数")


def counts_chart(table: Table, ylabel: str = "団体数") -> Chart:
    """A one-series bar chart of a (label, count, …) table (status, plans, target years)."""
    return bar_chart(table, table.columns[0], [table.columns[1]], ylabel=ylabel)


def trend_chart(table: Table) -> Chart:
    """Lines of the published aggregates only: a line never joins figures of different sources."""
    if "種類" in table.columns:
        kind = table.columns.index("種類")
        rows = [r for r in table.rows if r[kind] == "公表集計値"]
        table = Table(table.key, "クラウド導入状況の推移（公表集計値）", table.columns, tuple(rows))
    series = [c for c in table.columns[1:5] if any(isinstance(v, int) for v in table.column(c))]
    return line_chart(table, table.columns[0], series, ylabel="団体数")


def cost_chart(table: Table) -> Chart:
    series = [c for c in table.columns if c.endswith(" 円/人") and not c.startswith("全体")]
    series = [c for c in series if any(isinstance(v, int | float) for v in table.column(c))] or ["円/人"]
    return bar_chart(table, table.columns[0], series, ylabel="円/人", skip_rows=("計",))


def apportionment_chart(table: Table) -> Chart:
    series = [c for c in table.columns if c.endswith("割(円)")]
    return bar_chart(table, "団体名", series, stacked=True, ylabel="円")
