"""CDK entry point: builds the App and the interKanect stack.

For the CDK CLI (`cdk.json`: `"app": ".venv/bin/python -m infra.cdk.app"`) or without it:
`python -m infra.cdk.synth`. Context values (`-c key=value`): `stage` (default `dev`), and the
defaults of the `PayPalBaseUrl`, `PayPalClientId` and `PayPalClientSecretParameterName`
parameters: `paypal_base_url`, `paypal_client_id`, `paypal_client_secret_parameter`.
"""
from __future__ import annotations

import os

# jsii prints a banner on every run under an end-of-life Node; it is noise here.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import aws_cdk as cdk  # noqa: E402

from infra.cdk.stack import InterkanectStack  # noqa: E402

DEFAULT_STAGE = "dev"
# Feature flags the stack relies on: S3 server access logs are delivered under the log bucket's
# policy (bucket-owner-enforced buckets have no ACLs).
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


def build_app(outdir: str | None = None, context: dict | None = None) -> tuple[cdk.App, InterkanectStack]:
    """The App with the environment-agnostic stack (account and region come at deploy time); the
    stack adds its companion in us-east-1 for the site's Lambda@Edge function."""
    app = cdk.App(outdir=outdir, context={**FEATURE_FLAGS, **(context or {})})
    stage = app.node.try_get_context("stage") or DEFAULT_STAGE
    stack = InterkanectStack(app, stage)
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
