"""`lgcloud.codes` is domain code: importing it must not pull in the web or database stacks."""

from __future__ import annotations

import subprocess
import sys


def test_import_pulls_in_no_web_or_database_modules() -> None:
    probe = (
        "import sys, lgcloud.codes, lgcloud.codes.cli; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'fastapi', 'starlette', 'psycopg'}); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
