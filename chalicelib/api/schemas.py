"""Request bodies, validated by pydantic. Loaded on first use by `http.parse_body`."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2048)


class SignUpBody(_Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=200)
    username: str = Field(max_length=64)


class ConfirmBody(_Body):
    email: str = Field(max_length=254)
    code: str = Field(min_length=1, max_length=16)


class EmailBody(_Body):
    email: str = Field(max_length=254)


class SignInBody(_Body):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(_Body):
    refresh_token: str = Field(min_length=1, max_length=8192)
