"""The WebSocket frames a client may send, validated (pydantic, strict, as the REST bodies) before
anything reads them: a frame that passes has exactly the fields and types its action needs, so no
handler meets a list where it expects a string. Pydantic loads on the first message, not at import."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.domain import json_input
from chalicelib.domain.errors import InvalidInput

MAX_MESSAGE_BYTES = 32 * 1024  # API Gateway's frame limit
SIGNAL_TYPES = ("offer", "answer", "ice", "ice-restart", "renegotiate", "bye", "media")
CALL_ACTIONS = ("answer", "decline", "cancel", "reject_terms", "end", "rejoin")
TERMS_ACTIONS = ("propose", "accept")


@lru_cache(maxsize=1)
def frame_models() -> dict[str, Any]:
    """One model per action (built once per warm Lambda)."""
    from typing import Literal, Optional, Union

    from pydantic import BaseModel, ConfigDict, Field

    Id = Optional[Union[int, str]]  # echoed in the answer; strict: never a float or a bool

    class Frame(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        id: Id = Field(default=None, union_mode="left_to_right")

    class Ping(Frame):
        action: Literal["ping"]

    class Call(Frame):
        action: Literal["call"]
        helper: str = Field(min_length=1, max_length=64)
        booking: Optional[str] = Field(default=None, min_length=1, max_length=64)  # joining a booked session

    class OnCall(Frame):
        action: Literal[CALL_ACTIONS]  # type: ignore[valid-type]
        call_id: str = Field(min_length=1, max_length=64)

    class Terms(OnCall):
        action: Literal[TERMS_ACTIONS]  # type: ignore[valid-type]
        price_cents: int = Field(ge=0, le=10**9)  # the ceiling that counts is the settings'
        minutes: int = Field(ge=0, le=10**6)

    class SignalData(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)  # SDP and ICE, relayed as they are
        type: Literal[SIGNAL_TYPES]  # type: ignore[valid-type]

    class Signal(OnCall):
        action: Literal["signal"]
        data: SignalData

    class WatchPoll(Frame):
        action: Literal["watch_poll", "unwatch_poll"]
        helper: str = Field(min_length=1, max_length=64)  # the Helper's username
        poll_id: str = Field(min_length=1, max_length=40)

    return {"ping": Ping, "call": Call, "signal": Signal, "watch_poll": WatchPoll, "unwatch_poll": WatchPoll,
            **{action: OnCall for action in CALL_ACTIONS}, **{action: Terms for action in TERMS_ACTIONS}}


def read_frame(body: str | bytes | None) -> dict:
    """The frame as JSON within the size and depth limits: an object with a string `action`."""
    message = json_input.loads(body, max_bytes=MAX_MESSAGE_BYTES, what="A message")
    if not isinstance(message, dict) or not isinstance(message.get("action"), str):
        raise InvalidInput('Messages are JSON objects with an "action".')
    return message


def validate_frame(message: dict) -> dict:
    """The fields of a frame `read_frame` returned, validated for its action; InvalidInput names
    the first bad field."""
    from pydantic import ValidationError

    model = frame_models().get(message["action"])
    if model is None:
        raise InvalidInput(f"Unknown action '{message['action'][:64]}'.", field="action")
    try:
        return model.model_validate(message).model_dump(exclude_none=True)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        raise InvalidInput(f"{field or 'message'}: {first.get('msg', 'is not valid')}", field=field) from None


def echoable(message: Any, name: str) -> str | int | None:
    """A field of a refused frame that is safe to echo in the error (a short id or call id)."""
    value = message.get(name) if isinstance(message, dict) else None
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    if type(value) is int and name == "id" and abs(value) < 2**53:
        return value
    return None
