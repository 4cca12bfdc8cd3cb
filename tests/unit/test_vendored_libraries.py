"""Libraries copied into static_site/vendor/ (no CDN, no build step) stay as their registry shipped
them: each folder keeps its LICENSE and a README saying where it came from, and every script or
stylesheet in it still has the SHA-256 its README records."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parents[2] / "static_site" / "vendor"
LIBRARIES = sorted(path for path in VENDOR.iterdir() if path.is_dir())
# "`file.js` SHA-256: `<hex>`" or "`file.js` `<hex>`" in a README.
CHECKSUM = re.compile(r"`([\w.\-]+)`[^`\n]*?`([0-9a-f]{64})`")


def test_the_chart_and_the_whiteboard_libraries_are_vendored():
    assert {path.name for path in LIBRARIES} >= {"perfect-freehand", "uplot"}


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda path: path.name)
def test_a_vendored_library_keeps_its_licence_its_source_and_its_bytes(library: Path):
    licence = (library / "LICENSE").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in licence or "License" in licence, library.name
    readme = (library / "README.md").read_text(encoding="utf-8")
    assert "npm pack" in readme and "integrity `sha512-" in readme, library.name
    recorded = dict(CHECKSUM.findall(readme))
    shipped = {path.name for path in library.iterdir() if path.suffix in (".js", ".mjs", ".css")}
    assert shipped and shipped <= set(recorded), (library.name, shipped - set(recorded))
    for name in shipped:
        assert hashlib.sha256((library / name).read_bytes()).hexdigest() == recorded[name], (library.name, name)
