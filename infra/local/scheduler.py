"""Runs every `@app.schedule` handler of the Chalice app on its own schedule, as EventBridge would."""
from __future__ import annotations

import importlib
import logging
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from infra.local.ws_gateway import lambda_context

log = logging.getLogger("local-stack.scheduler")

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def next_run(expression: str, after: datetime) -> datetime:
    """The next time an EventBridge `rate(...)` or `cron(...)` expression fires after `after` (UTC)."""
    rate = _RATE.match(expression.strip())
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        return after + timedelta(seconds=count * _UNIT_SECONDS[unit])
    if expression.startswith("cron(") and expression.endswith(")"):
        from croniter import croniter

        return croniter(_unix_cron(expression[5:-1]), after).get_next(datetime)
    raise ValueError(f"Not a schedule expression: {expression!r}")


def _unix_cron(fields: str) -> str:
    """EventBridge's six fields (with year, `?`, and 1=Sunday) as a five-field Unix cron."""
    minute, hour, day, month, weekday, _year = fields.split()
    day, weekday = day.replace("?", "*"), weekday.replace("?", "*")
    weekday = re.sub(r"\d", lambda m: str((int(m.group()) - 1) % 7), weekday)
    return f"{minute} {hour} {day} {month} {weekday}"


class Job:
    def __init__(self, name: str, expression: str, handler: Callable[[dict, Any], Any]) -> None:
        self.name, self.expression, self.handler = name, expression, handler

    def event(self, at: datetime) -> dict:
        return {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{self.name}"],
            "detail": {},
        }

    def run(self, at: datetime | None = None) -> Any:
        return self.handler(self.event(at or datetime.now(timezone.utc)), lambda_context(self.name))


def jobs_of(app_module: Any) -> list[Job]:
    from chalice.app import ScheduledEventConfig

    jobs = []
    for source in app_module.app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            if not isinstance(expression, str):
                expression = expression.to_string()
            module_name, attribute = source.handler_string.rsplit(".", 1)
            handler = getattr(importlib.import_module(module_name), attribute)
            jobs.append(Job(source.name, expression, handler))
    return jobs


class Scheduler:
    """One thread; each job fires at its next time; a failing job is logged and fires again later."""

    def __init__(self, jobs: list[Job], clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.jobs = {job.name: job for job in jobs}
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> "Scheduler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        due = {name: next_run(job.expression, self._clock()) for name, job in self.jobs.items()}
        while not self._stop.is_set():
            now = self._clock()
            for name, job in self.jobs.items():
                if due[name] <= now:
                    started = time.monotonic()
                    try:
                        job.run(now)
                        log.info("job %s ran in %.0f ms", name, (time.monotonic() - started) * 1000)
                    except Exception:  # the next run is scheduled as on AWS
                        log.exception("job %s failed", name)
                    due[name] = next_run(job.expression, now)
            self._stop.wait(1.0)
