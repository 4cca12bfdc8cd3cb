"""A fake clock for jobs and services that take `clock` and `sleep` as arguments: time that moves
only when slept through (or when a test moves `now`), and a record of every sleep."""
from __future__ import annotations


class SleepingClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = float(now)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
