"""Where the MJ data comes from: the npm package ``@mandel59/mojidata``, pinned by version and integrity.

The package ships one SQLite file (``dist/moji.db``, ~105 MB) holding the MJ文字情報一覧表, the MJ縮退マップ,
the IVD and more. We fetch it with ``npm pack`` (needs nothing but the npm registry), check the tarball's
SHA-512 against the pin below, pull ``moji.db`` out of it and convert it once into lgcloud's own compact
index (:mod:`lgcloud.moji.build`), cached outside the repository under ``Settings.cache_dir``.

The MJ data is © IPA, CC BY-SA 2.1 JP (see ``docs/licences.md``).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from lgcloud.errors import LgcloudError

PACKAGE = "@mandel59/mojidata"
VERSION = "1.8.1"
#: ``dist.integrity`` of the tarball as published on registry.npmjs.org (SRI, SHA-512).
INTEGRITY = "sha512-OLA5LEmPHuVbdI8lGXwV3pGVpSIFAqU5+oqhPzK7q662ziWYMqxTGXoxfFb9dQCJ31WzSCG1C5rsUb2uynQhIQ=="
TARBALL_NAME = f"mandel59-mojidata-{VERSION}.tgz"
DB_MEMBER = "package/dist/moji.db"
#: Data versions inside that package (for documentation and the index metadata).
MJI_VERSION = "MJ文字情報一覧表 Ver.006.02"
MJSM_VERSION = "MJ縮退マップ Ver.1.2.0"


class DataSourceError(LgcloudError):
    code = "moji-data-source"
    status = 500


def sri_sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def verify_tarball(path: Path, integrity: str = INTEGRITY) -> None:
    actual = sri_sha512(path)
    if actual != integrity:
        raise DataSourceError(
            f"{path.name} のチェックサムが一致しません (期待値 {integrity}, 実際 {actual})",
            code="moji-integrity-mismatch",
        )


def npm_pack(dest_dir: Path) -> Path:
    """Download the pinned tarball into ``dest_dir`` with ``npm pack`` and verify it."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataSourceError("npm が見つかりません。MJ データの取得には npm が必要です", code="moji-npm-missing")
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lgcloud-npm-") as work:
        cmd = [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(dest_dir), "--silent"]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    tarball = dest_dir / TARBALL_NAME
    if proc.returncode != 0 or not tarball.exists():
        raise DataSourceError(
            f"npm pack {PACKAGE}@{VERSION} に失敗しました: {proc.stderr.strip()[-500:]}", code="moji-npm-failed"
        )
    verify_tarball(tarball)
    return tarball


def fetch_tarball(cache_dir: Path) -> Path:
    """The verified tarball, fetched once into ``cache_dir`` (re-fetched if the cached copy is corrupt)."""
    tarball = cache_dir / TARBALL_NAME
    if tarball.exists():
        try:
            verify_tarball(tarball)
            return tarball
        except DataSourceError:
            tarball.unlink()
    return npm_pack(cache_dir)


def extract_db(tarball: Path, dest: Path) -> Path:
    """Copy ``dist/moji.db`` out of the tarball to ``dest`` (no other member is written)."""
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.getmember(DB_MEMBER)
        source = tar.extractfile(member)
        if source is None:
            raise DataSourceError(f"{DB_MEMBER} が {tarball.name} にありません", code="moji-db-missing")
        with source, dest.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    return dest
