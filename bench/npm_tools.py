"""Node tools the benches run (dynalite, Lighthouse), installed once from the npm registry at a
pinned version into `.local/bench-tools/`."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / ".local" / "bench-tools"


def npm_tool(package: str, version: str, entry: str) -> Path:
    """The path of `entry` inside `package`, installing `package@version` first if it is missing
    or at another version."""
    folder = TOOLS / "node_modules" / package
    installed = folder / "package.json"
    if not installed.exists() or json.loads(installed.read_text()).get("version") != version:
        if shutil.which("npm") is None:
            raise RuntimeError(f"npm is needed to install {package} for this benchmark")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--save-exact", "--prefix",
                        str(TOOLS), f"{package}@{version}"], check=True)
    return folder / entry
