"""Synthesize the CloudFormation without the CDK CLI and without AWS credentials.

    python -m infra.cdk.synth [--outdir DIR] [--stage STAGE] [-c key=value ...] [--nag FILE]

Prints the path of the stack's template on stdout (everything else goes to stderr). The
Chalice construct runs `chalice package`; its dependency zip is cached in
`.chalice/deployments/` (keyed by requirements.txt and the Python version), so only the first
run downloads wheels from PyPI. With `--nag FILE`, cdk-nag's AwsSolutions pack checks the app
while it is synthesized and the findings left unsuppressed (errors and warnings) are written to
FILE as JSON (a list of {stack, path, level, finding}); suppressions live beside the resources.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTDIR = REPO_ROOT / "infra" / "cdk.out"


def _context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"context must be key=value, not {pair!r}")
        context[key] = value
    return context


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=str(DEFAULT_OUTDIR), help="cloud assembly directory")
    parser.add_argument("--stage", default=None, help="Chalice stage / stack id (default dev)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--nag", default=None, metavar="FILE",
                        help="run cdk-nag (AwsSolutions) and write its unsuppressed findings to FILE")
    args = parser.parse_args(argv)

    context = _context(args.context)
    if args.stage:
        context["stage"] = args.stage
    outdir = str(Path(args.outdir).resolve())
    # Deterministic, offline synthesis: no account lookups, no version check, no telemetry.
    os.environ.setdefault("CDK_DISABLE_VERSION_CHECK", "1")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))

    started = time.monotonic()
    # `chalice package` and CDK chatter go to stderr; stdout carries only the template path.
    with contextlib.redirect_stdout(sys.stderr):
        from infra.cdk.app import build_app

        app, stack = build_app(outdir=outdir, context=context)
        if args.nag:
            import aws_cdk as cdk
            from cdk_nag import AwsSolutionsChecks

            cdk.Aspects.of(app).add(AwsSolutionsChecks(reports=False))
        assembly = app.synth()
    if args.nag:
        findings = nag_findings(assembly)
        Path(args.nag).write_text(json.dumps(findings, indent=1))
        print(f"cdk-nag: {len(findings)} unsuppressed finding(s)", file=sys.stderr)
    template = assembly.get_stack_by_name(stack.stack_name).template_full_path
    print(f"synthesized {stack.stack_name} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    print(template)
    return template


def nag_findings(assembly) -> list[dict[str, str]]:
    """cdk-nag's unsuppressed findings: the AwsSolutions annotations at warning or error level
    (a suppressed rule leaves none)."""
    findings = []
    for artifact in assembly.stacks:
        for message in artifact.messages:
            text = str(message.entry.data)
            level = str(message.level).rsplit(".", 1)[-1].lower()
            if text.startswith("AwsSolutions-") and level in ("warning", "error"):
                findings.append({"stack": artifact.id, "path": message.id, "level": level,
                                 "finding": text.strip()})
    return findings


if __name__ == "__main__":
    main()
