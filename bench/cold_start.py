"""Cold import time of `app.py` beside a bare Chalice hello-world that imports boto3.

Each sample is a fresh interpreter that times its own `import`, alternating between the two
apps so machine noise hits both alike. Target: app.py at most 1.5x the hello-world.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 15
TARGET_RATIO = 1.5
HELLO_WORLD = '''\
import boto3
from chalice import Chalice

app = Chalice(app_name="hello")


@app.route("/")
def index():
    return {"hello": "world"}
'''
PROBE = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"


def import_seconds(directory: Path) -> float:
    answer = subprocess.run([sys.executable, "-c", PROBE], cwd=directory, capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(directory)})
    return float(answer.stdout.strip().splitlines()[-1])


def measure(samples: int = SAMPLES) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        hello = Path(scratch)
        (hello / "app.py").write_text(HELLO_WORLD)
        import_seconds(ROOT), import_seconds(hello)  # warm the file cache and write .pyc files
        ours, bare = [], []
        for _ in range(samples):
            ours.append(import_seconds(ROOT))
            bare.append(import_seconds(hello))
    return {"app_ms": statistics.median(ours) * 1000, "hello_ms": statistics.median(bare) * 1000}


def main() -> int:
    figures = measure()
    ratio = figures["app_ms"] / figures["hello_ms"]
    print(f"cold import, median of {SAMPLES} fresh interpreters each:")
    print(f"  app.py                      {figures['app_ms']:7.1f} ms")
    print(f"  chalice hello-world + boto3 {figures['hello_ms']:7.1f} ms")
    print(f"  ratio                       {ratio:7.2f}x  (target <= {TARGET_RATIO}x)")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
