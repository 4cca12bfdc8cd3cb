"""Prints a new Web Push VAPID private key (base64url of the P-256 scalar) and, on stderr, its
public key. Put the private key in the stack's VapidSecret (docs/runbook.md):

    aws secretsmanager put-secret-value --secret-id <VapidSecret ARN> --secret-string "$(python -m infra.vapid_key)"
"""
from __future__ import annotations

import sys

from chalicelib.adapters.push import new_vapid_private_key, vapid_public_key


def main() -> int:
    private = new_vapid_private_key()
    print(private)
    print(f"public key (browsers' applicationServerKey): {vapid_public_key(private)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
