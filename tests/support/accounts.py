"""Helpers that create signed-in users through the real API of the local stack."""
from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass
from importlib import resources

import requests

PASSWORD = "Corr3ct-horse-battery"


@dataclass
class SignedIn:
    email: str
    username: str
    display_name: str
    password: str
    tokens: dict

    @property
    def access_token(self) -> str:
        return self.tokens["access_token"]

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


def new_identity(prefix: str = "user") -> dict:
    tag = uuid.uuid4().hex[:10]
    return {"email": f"{prefix}-{tag}@example.com", "username": f"{prefix}_{tag}",
            "display_name": f"{prefix.title()} {tag[:4]}", "password": PASSWORD}


def sign_up_and_in(api: str, prefix: str = "user") -> SignedIn:
    who = new_identity(prefix)
    answer = requests.post(f"{api}/auth/sign-up", json=who, timeout=30)
    assert answer.status_code == 201, answer.text
    answer = requests.post(f"{api}/auth/confirm", json={"email": who["email"], "code": "123456"}, timeout=30)
    assert answer.status_code == 200, answer.text
    answer = requests.post(f"{api}/auth/sign-in", json={"email": who["email"], "password": who["password"]},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return SignedIn(who["email"], who["username"], who["display_name"], who["password"], answer.json())


def forge_token(claims: dict, *, with_moto_key: bool = True) -> str:
    """A token signed with moto's Cognito key (valid signature, claims of our choosing) or a stranger's."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    if with_moto_key:
        blob = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
        key = jwt.PyJWK(json.loads(gzip.decompress(blob))).key
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def claims_like(token: str, **changes) -> dict:
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return claims


def now() -> int:
    return int(time.time())
