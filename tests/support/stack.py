"""The local stack as tests run it: `python -m infra.local` in a subprocess."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    """`python -m infra.local` in a subprocess, on free ports, with its own state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log_path = state_dir.parent / f"{state_dir.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> dict:
        endpoints_file = self.state_dir / "endpoints.json"
        endpoints_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--any-ports", "--state-dir", str(self.state_dir)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local stack exited:\n{self.log_path.read_text()[-4000:]}")
            if endpoints_file.exists():
                try:
                    return json.loads(endpoints_file.read_text())
                except ValueError:
                    pass  # still being written
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"local stack did not start:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
