"""Which layout file is which input file: shared by ``validate`` and (later) ``import``.

An argument is either ``PATH`` (matched to a layout file by the file's ``match`` globs on the file name) or
``NAME=PATH`` (explicit, e.g. ``person=JUKI01.CSV``).
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from lgcloud.layout.model import FileSpec, Layout
from lgcloud.layout.schema import LayoutError


def match_file(layout: Layout, path: Path) -> FileSpec:
    if len(layout.files) == 1:
        return layout.files[0]
    name = path.name.lower()
    hits = [f for f in layout.files if f.name == path.stem.lower()
            or any(fnmatch.fnmatch(name, pattern.lower()) for pattern in f.match)]
    if len(hits) != 1:
        names = ", ".join(f.name for f in layout.files)
        why = "どのファイルにも該当しません" if not hits else "複数のファイルに該当します"
        raise LayoutError(f"{path.name} はレイアウト「{layout.name}」の{why}。「ファイル名=パス」で指定してください"
                          f"(ファイル名: {names})", code="file-unmatched")
    return hits[0]


def resolve_inputs(layout: Layout, args: list[str]) -> list[tuple[FileSpec, Path]]:
    """Pair every argument with its layout file; files must exist."""
    out = []
    for arg in args:
        name, sep, rest = arg.partition("=")
        if sep and not Path(arg).exists():
            spec, path = layout.file(name), Path(rest)
        else:
            path = Path(arg)
            spec = match_file(layout, path)
        if not path.is_file():
            raise LayoutError(f"ファイルがありません: {path}", code="file-not-found")
        out.append((spec, path))
    order = {f.name: i for i, f in enumerate(layout.files)}
    return sorted(out, key=lambda pair: order[pair[0].name])
