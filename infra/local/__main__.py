"""`python -m infra.local`: the whole product on one machine, no AWS account, no internet.

Starts moto (DynamoDB, S3, SES, Cognito, SSM), the Chalice REST API, the WebSocket gateway,
the PayPal sandbox, the scheduled jobs, the static site and the downloads server (digital goods'
links, with the headers CloudFront adds on AWS); writes the endpoints to `<state>/endpoints.json`;
keeps state under `<state>/` across runs; Ctrl-C stops it all.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORTS = {"aws": 4566, "api": 8000, "websocket": 8001, "websocket_management": 8002,
                 "paypal": 8003, "downloads": 8004, "site": 8080}
SNAPSHOT_SECONDS = 30

log = logging.getLogger("local-stack")


def _paypal_credentials(state_dir: Path) -> dict[str, str]:
    """The sandbox's client id and secret: made up once, kept with the rest of the state."""
    path = state_dir / "paypal-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    credentials = {"client_id": f"local-{secrets.token_hex(8)}", "client_secret": secrets.token_urlsafe(24)}
    path.write_text(json.dumps(credentials))
    path.chmod(0o600)
    return credentials


class LocalStack:
    def __init__(self, state_dir: Path, ports: dict[str, int], host: str = "127.0.0.1",
                 without_jobs: tuple[str, ...] = ()) -> None:
        self.state_dir = state_dir
        self.ports = ports
        self.host = host
        self.without_jobs = without_jobs
        self.parts: list = []
        self.endpoints: dict[str, str] = {}
        self._stopped = threading.Event()

    def start(self) -> dict[str, str]:
        from infra.local.aws import LOCAL_CREDENTIALS, SENDER_EMAIL, LocalAws, client, provision
        from infra.local.ses_feedback import FeedbackRelay, provision as provision_feedback, sns_handler_of
        from infra.local.downloads import DownloadServer
        from infra.local.mailbox import PREFIX as MAILBOX_PATH, Mailbox
        from infra.local.paypal_sandbox import PayPalSandbox
        from infra.local.rest_api import LocalRestApi
        from infra.local.scheduler import Scheduler, jobs_of
        from infra.local.site import MediaBucket, StaticSite
        from infra.local.slow import watch_for_stalls
        from infra.local.ws_gateway import WebsocketGateway, handlers_of
        from infra.site_build import build as build_site

        self.state_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(LOCAL_CREDENTIALS)  # moto takes any; never reach a real account
        credentials = _paypal_credentials(self.state_dir)
        aws = self._started(LocalAws(host=self.host, port=self.ports["aws"],
                                     state_file=self.state_dir / "aws-state.pickle"))
        environment = provision(aws.url, paypal_client_secret=credentials["client_secret"])
        # Buyers' links to digital goods go through it, as through the downloads distribution on AWS.
        downloads = self._started(DownloadServer(aws.url, host=self.host, port=self.ports["downloads"]))
        environment["IK_FILES_DOWNLOAD_URL"] = downloads.url
        paypal = self._started(PayPalSandbox(host=self.host, port=self.ports["paypal"],
                                             client_id=credentials["client_id"],
                                             client_secret=credentials["client_secret"],
                                             state_path=self.state_dir / "paypal-state.json"))
        environment.update({"IK_PAYPAL_BASE_URL": paypal.url, "IK_PAYPAL_CLIENT_ID": credentials["client_id"]})

        # The app reads its settings on first use; everything it needs is known by now except
        # the WebSocket gateway's address, which is bound before the app takes any request.
        os.environ.update(environment)
        sys.path.insert(0, str(ROOT))
        app_module = importlib.import_module("app")
        gateway = self._started(WebsocketGateway(handlers_of(app_module), host=self.host,
                                                 port=self.ports["websocket"],
                                                 management_port=self.ports["websocket_management"]))
        os.environ["IK_WEBSOCKET_MANAGEMENT_URL"] = gateway.management_url
        api = self._started(LocalRestApi(app_module.app, ROOT, host=self.host, port=self.ports["api"]))
        # SES's bounces and complaints reach the app's SNS handler as on AWS (ses_feedback.py).
        relay = self._started(FeedbackRelay(sns_handler_of(app_module), host=self.host, port=0))
        provision_feedback(aws.url, environment["AWS_REGION"], sender=SENDER_EMAIL, relay_url=relay.url)
        # The site built from its templates into this stack's own folder (infra/site_build.py).
        site = self._started(StaticSite(build_site(self.state_dir / "site"), api_url=api.url,
                                        websocket_url=gateway.url,
                                        media=MediaBucket(client("s3", aws.url, environment["AWS_REGION"]),
                                                          environment["IK_UPLOADS_BUCKET"], aws.url),
                                        mailbox=Mailbox(), host=self.host, port=self.ports["site"]))
        os.environ["IK_SITE_URL"] = site.url  # before the first request reads the settings
        # PayPal's webhooks reach the app's endpoint, signed with the sandbox's certificate, which
        # only the local settings allow (on AWS only PayPal's own certificate URLs are).
        webhook_id = paypal.register_webhook(f"{api.url}/webhooks/paypal")
        os.environ["IK_PAYPAL_WEBHOOK_ID"] = webhook_id
        os.environ["IK_PAYPAL_EXTRA_CERT_URLS"] = f"{paypal.url}/"
        jobs = [job for job in jobs_of(app_module) if job.name not in self.without_jobs]
        self.scheduler = self._started(Scheduler(jobs))
        self._aws = aws
        threading.Thread(target=self._snapshot_regularly, name="snapshots", daemon=True).start()
        threading.Thread(target=watch_for_stalls, args=(log, self._stopped), name="stalls", daemon=True).start()

        self.endpoints = {
            "site": site.url,
            "mailbox": site.url + MAILBOX_PATH,
            "api": api.url,
            "websocket": gateway.url,
            "websocket_management": gateway.management_url,
            "paypal": paypal.url,
            "paypal_client_id": credentials["client_id"],
            "paypal_client_secret": credentials["client_secret"],
            "paypal_webhook_id": webhook_id,
            "aws": aws.url,
            "downloads": downloads.url,
            "user_pool_id": environment["IK_USER_POOL_ID"],
            "user_pool_client_id": environment["IK_USER_POOL_CLIENT_ID"],
            "region": environment["AWS_REGION"],
        }
        endpoints_file = self.state_dir / "endpoints.json"
        endpoints_file.write_text(json.dumps(self.endpoints, indent=2) + "\n")
        return self.endpoints

    def _started(self, part):
        part.start()
        self.parts.append(part)
        return part

    def _snapshot_regularly(self) -> None:
        while not self._stopped.wait(SNAPSHOT_SECONDS):
            self._aws.save()

    def stop(self) -> None:
        self._stopped.set()
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception:  # keep stopping the others; say what failed
                log.exception("stopping %s failed", type(part).__name__)
        (self.state_dir / "endpoints.json").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local",
                        help="where state is kept between runs (default: .local/)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--any-ports", action="store_true",
                        help="let the OS pick free ports (tests); endpoints.json says which")
    parser.add_argument("--without-job", action="append", default=[], metavar="NAME",
                        help="do not run this scheduled job (tests that run it themselves with a frozen clock)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("IK_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ports = {name: 0 for name in DEFAULT_PORTS} if args.any_ports else dict(DEFAULT_PORTS)
    stack = LocalStack(args.state_dir, ports, host=args.host, without_jobs=tuple(args.without_job))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        endpoints = stack.start()
        print(f"\n  interKanect is running: open {endpoints['site']}\n", flush=True)
        print(f"  Emails it sends land in the local mailbox: {endpoints['mailbox']}", flush=True)
        print(f"  API {endpoints['api']}  WebSocket {endpoints['websocket']}  "
              f"PayPal sandbox {endpoints['paypal']}  AWS (moto) {endpoints['aws']}  "
              f"Downloads {endpoints['downloads']}", flush=True)
        print(f"  Endpoints written to {args.state_dir / 'endpoints.json'}; Ctrl-C stops everything.\n",
              flush=True)
        while not stopping.wait(1):
            pass
    finally:
        print("Stopping, saving state...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
