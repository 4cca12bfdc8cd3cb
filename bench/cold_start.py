"""A Lambda cold start as a visitor pays it: a fresh interpreter imports the app and serves its
first request, a Helper's public page `GET /h/<username>`, beside a bare Chalice app that imports
boto3 and serves one DynamoDB GetItem, both against the local AWS of one temporary stack.

Each sample is a fresh Python process that times, from its first line, `import app` and then one
call of the Lambda handler (`app.app(event, context)`, as Lambda calls it) with an API Gateway
proxy event; everything the first request builds (settings, clients, table bindings, templates)
and its DynamoDB reads are in the time. The interpreter's own start-up is the same for both and
left out. Samples alternate between the two apps so machine noise hits both alike; median of
SAMPLES each. The Helper (made through the API) is listed in a category, as Helpers are, so the
page reads its category names too. The DynamoDB requests of each first request are counted in a
separate, untimed run. The process's CPU time is printed beside the clock: it leaves out the
waits (the emulator's answers, other processes on a busy machine), so it moves less from run to
run, but the judged figure is the clock.

Target: the app's cold start at most 1.2x the bare app's.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 21
TARGET_RATIO = 1.2
BARE_APP = '''\
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="bare")


@app.route("/h/{username}")
def helper_page(username):
    client = boto3.client("dynamodb", endpoint_url=os.environ["IK_AWS_ENDPOINT_URL"])
    item = client.get_item(TableName=os.environ["BENCH_USERNAMES_TABLE"],
                           Key={"username_key": {"S": username.casefold()}})
    return {"user_id": item["Item"]["user_id"]["S"]}
'''
# Runs in the fresh process; argv[1] is the event. Prints the seconds to import and to answer.
PROBE = '''\
import time
started, cpu_started = time.perf_counter(), time.process_time()
import json, sys, types
import app
imported = time.perf_counter()
answer = app.app(json.loads(sys.argv[1]), types.SimpleNamespace(function_name="cold-start", aws_request_id="1"))
served, cpu = time.perf_counter(), time.process_time() - cpu_started
assert answer["statusCode"] == 200, answer
print(json.dumps({"import": imported - started, "first_request": served - imported, "total": served - started,
                  "cpu": cpu}))
'''
# The same first request, untimed, with botocore's API calls counted (by operation).
COUNTING_PROBE = '''\
import collections, json, sys, types
import botocore.client
calls = collections.Counter()
original = botocore.client.BaseClient._make_api_call
def counted(client, operation, params):
    calls[operation] += 1
    return original(client, operation, params)
botocore.client.BaseClient._make_api_call = counted
import app
answer = app.app(json.loads(sys.argv[1]), types.SimpleNamespace(function_name="cold-start", aws_request_id="1"))
assert answer["statusCode"] == 200, answer
print(json.dumps(calls))
'''


def page_event(username: str) -> str:
    """An API Gateway (REST, proxy) event for `GET /h/<username>`."""
    path = f"/h/{username}"
    return json.dumps({
        "resource": "/h/{username}", "path": path, "httpMethod": "GET",
        "headers": {"Host": "cold-start.example", "Accept": "text/html"},
        "multiValueHeaders": {"Host": ["cold-start.example"], "Accept": ["text/html"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"username": username}, "stageVariables": None,
        "requestContext": {"resourcePath": "/h/{username}", "httpMethod": "GET", "path": f"/api{path}",
                           "stage": "api", "requestId": "cold-start", "identity": {"sourceIp": "127.0.0.1"}},
        "body": None, "isBase64Encoded": False,
    })


def run(probe: str, directory: Path, event: str, env: dict[str, str]) -> dict:
    answer = subprocess.run([sys.executable, "-c", probe, event], cwd=directory, capture_output=True, text=True,
                            env={**env, "PYTHONPATH": str(directory)})
    if answer.returncode:
        raise RuntimeError(f"the probe failed in {directory}:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def measure(samples: int = SAMPLES) -> dict:
    from chalicelib.api.page_html import compile_templates
    from chalicelib.settings import Settings
    from tests.support.pages import become_helper
    from tests.support.stack import app_environment, temporary_stack

    compile_templates()  # as they are packaged for Lambda (infra/cdk)
    with temporary_stack("ik-bench-cold-") as endpoints, tempfile.TemporaryDirectory() as scratch:
        helper = become_helper(endpoints["api"], "coldstart", categories=("plumbing",))
        event = page_event(helper.username)
        env = {"PATH": "/usr/bin:/bin", **app_environment(endpoints)}
        env["BENCH_USERNAMES_TABLE"] = Settings.from_env(env).table_name("usernames")  # the bare app's
        bare = Path(scratch)
        (bare / "app.py").write_text(BARE_APP)
        apps = {"app": ROOT, "bare": bare}
        # The counting runs also warm the file cache and write the .pyc files.
        requests = {name: run(COUNTING_PROBE, directory, event, env) for name, directory in apps.items()}
        samples_of: dict[str, list[dict]] = {name: [] for name in apps}
        for _ in range(samples):
            for name, directory in apps.items():
                samples_of[name].append(run(PROBE, directory, event, env))
    figures = {}
    for name, runs in samples_of.items():
        figures[name] = {part: statistics.median(r[part] for r in runs) * 1000
                         for part in ("import", "first_request", "total", "cpu")}
        figures[name]["requests"] = requests[name]
    return figures


def main() -> int:
    figures = measure()
    ratio = figures["app"]["total"] / figures["bare"]["total"]
    print(f"cold start (fresh interpreter: import + first request), median of {SAMPLES} each:")
    for name, label in (("app", "app.py, GET /h/<username>"), ("bare", "bare Chalice + boto3, one GetItem")):
        f = figures[name]
        calls = ", ".join(f"{count} {operation}" for operation, count in sorted(f["requests"].items()))
        print(f"  {label:<34} {f['total']:7.1f} ms  (import {f['import']:6.1f}, first request "
              f"{f['first_request']:6.1f}; CPU {f['cpu']:6.1f}; DynamoDB: {calls})")
    cpu_ratio = figures["app"]["cpu"] / figures["bare"]["cpu"]
    print(f"  ratio                              {ratio:7.2f}x  (target <= {TARGET_RATIO}x; CPU time alone "
          f"{cpu_ratio:.2f}x)")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
