"""Helpers that create signed-in users through the real API of the local stack."""
from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import requests

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "Corr3ct-horse-battery"
CODE = "123456"  # the local stack's emulated Cognito accepts any 6-digit confirmation code
SIGN_UP_FIELDS = ("email", "password", "display_name", "username")


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


def sign_up_and_confirm(api: str, who: dict) -> None:
    """Signs `who` up (its email, password, display_name and username) and confirms the email."""
    answer = requests.post(f"{api}/auth/sign-up", json={k: who[k] for k in SIGN_UP_FIELDS}, timeout=30)
    assert answer.status_code == 201, answer.text
    answer = requests.post(f"{api}/auth/confirm", json={"email": who["email"], "code": CODE}, timeout=30)
    assert answer.status_code == 200, answer.text


def sign_up_and_in(api: str, prefix: str = "user") -> SignedIn:
    who = new_identity(prefix)
    sign_up_and_confirm(api, who)
    return sign_in(api, SignedIn(who["email"], who["username"], who["display_name"], who["password"], {}))


def sign_in(api: str, person: SignedIn) -> SignedIn:
    """Signs `person` in (again): fresh tokens, carrying any group they were added to since."""
    answer = requests.post(f"{api}/auth/sign-in", json={"email": person.email, "password": person.password},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return SignedIn(person.email, person.username, person.display_name, person.password,
                    {**person.tokens, **answer.json()})


def api_url(page: Page, path: str) -> str:
    """An API address as the page sees it (`IK_CONFIG.api`), for setting up and cross-checks."""
    return urljoin(page.url, page.evaluate("window.IK_CONFIG.api").rstrip("/") + path)


def create_confirmed_account(page: Page, person: dict) -> None:
    """Signs `person` up and confirms them through the API the site uses, for browser tests that
    start at signing in; leaves the page on the home page."""
    page.goto("/index.html")
    sign_up_and_confirm(api_url(page, ""), person)


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
