"""Lambda@Edge functions of the site's distribution, and how each is packaged."""
from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_FOUND_FILES = ("not_found.py", "404.html")


def package_not_found(site_dir: Path, out_dir: Path) -> Path:
    """The 404 function's package in `out_dir`: its handler and the site's built `404.html`,
    nothing else (a folder holding anything more is refused, not emptied). Returns `out_dir`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not {path.name for path in out_dir.iterdir()} <= set(NOT_FOUND_FILES):
        raise ValueError(f"{out_dir} holds more than the 404 function's package; not replacing it")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "not_found.py", out_dir / "not_found.py")
    shutil.copyfile(Path(site_dir) / "404.html", out_dir / "404.html")
    return out_dir
