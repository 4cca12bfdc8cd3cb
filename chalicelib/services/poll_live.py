"""A poll's results, live: the WebSocket connections watching a poll are sent its counts as votes
arrive, at most once a second per poll whatever the vote rate, and never leaving the last vote
unsent.

After each vote: if no send went out in the last second, this vote sends now (the counts read
after its own write). Otherwise a send is due when that second is over; the first vote to promise
it waits until then and sends the counts as they are by that time (every vote since included),
and the other votes of that second return at once. So a poll gets at most one send a second, a
vote is on every watcher's screen within about a second, and only one request a second pays the
wait. The claims are conditional writes on the poll's item, so this holds across Lambdas."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from chalicelib.domain import polls as rules
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.polls import Poll
from chalicelib.services.delivery import deliver

if TYPE_CHECKING:
    from chalicelib.adapters.connections import ConnectionStore
    from chalicelib.adapters.polls import PollStore
    from chalicelib.adapters.websocket import WebsocketSender
    from chalicelib.services.polls import PollDesk

GAP_MS = 1000  # at most one send a second per poll
WATCH_SECONDS = 2 * 60 * 60  # API Gateway ends every connection after 2 hours
SENDERS = 8  # connections sent to at once (post_to_connection is one HTTPS request each)


@dataclass(frozen=True)
class LiveDesk:
    polls: PollStore
    sender: WebsocketSender
    connections: ConnectionStore
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def results_message(poll: Poll, counts: dict[int, int], *, now: int) -> dict:
    """What watchers are sent: the poll's counts (only watchers who may see them are sent it)."""
    return {"type": "poll", "poll": {
        "poll_id": poll.poll_id, "open": poll.is_open(now), "total": sum(counts.values()),
        "options": [{"label": label, "votes": counts.get(n, 0)} for n, label in enumerate(poll.options)]}}


def watch(*, poll: Poll, connection_id: str, user_id: str, voted: bool, live: LiveDesk) -> bool:
    """Records the connection as watching the poll; True when it will be sent the results (the
    poll shows them now to its person). Watching again after voting updates that."""
    now = int(live.clock())
    sees = rules.may_see_results(poll, viewer_id=user_id, voted=voted, now=now)
    live.polls.watch(poll, connection_id, user_id=user_id, sees=sees, until=now + WATCH_SECONDS)
    return sees


def on_frame(*, connection_id: str, message: dict, desk: PollDesk, live: LiveDesk,
             helper_id_of: Callable[[str], str]) -> dict:
    """`watch_poll` and `unwatch_poll` (docs/websocket.md): the answer is an `ack`, with the
    poll as its person sees it when watching."""
    from chalicelib.services.polls import find_poll, poll_view

    me = live.connections.get(connection_id)
    if me is None:
        raise InvalidInput("This connection has ended; reconnect.")
    poll = find_poll(helper_id=helper_id_of(message["helper"]), poll_id=message["poll_id"], desk=desk)
    reply: dict[str, Any] = {"type": "ack", "action": message["action"], "poll_id": poll.poll_id}
    if message["action"] == "unwatch_poll":
        unwatch(poll=poll, connection_id=connection_id, live=live)
    else:
        voted = desk.polls.vote_of(poll, me.user_id) is not None
        watch(poll=poll, connection_id=connection_id, user_id=me.user_id, voted=voted, live=live)
        reply["poll"] = poll_view(poll, viewer_id=me.user_id, desk=desk, now=int(live.clock()))
    if isinstance(message.get("id"), (str, int)):
        reply["id"] = message["id"]
    return reply


def unwatch(*, poll: Poll, connection_id: str, live: LiveDesk) -> None:
    live.polls.unwatch(poll, connection_id)


def after_vote(poll: Poll, *, live: LiveDesk) -> int:
    """Sends the counts to the watchers now, or once the current second of sends is over (see
    the module's docstring); returns how many connections were sent them by this call."""
    now_ms = int(live.clock() * 1000)
    last = live.polls.claim_send(poll, now_ms=now_ms, gap_ms=GAP_MS)
    if last is None:
        return send_results(poll, live=live)
    due = last + GAP_MS
    if not live.polls.promise_send(poll, at_ms=due):
        return 0  # another vote of this second sends at `due`, with this one counted
    live.sleep(max(0.0, due / 1000 - live.clock()))
    if live.polls.claim_send(poll, now_ms=max(due, int(live.clock() * 1000)), gap_ms=GAP_MS) is not None:
        return 0  # a vote that came at `due` sent them first, this one counted
    return send_results(poll, live=live)


def send_results(poll: Poll, *, live: LiveDesk) -> int:
    """The poll's counts as they are now, to every watcher that may see them (a closed poll: to
    all who watch; they may all see it now); a gone connection is forgotten."""
    now = int(live.clock())
    current = live.polls.get(poll.helper_id, poll.poll_id) or poll
    message = results_message(current, live.polls.counts(current), now=now)
    watchers = live.polls.watchers(current, now=now, everyone=not current.is_open(now))

    def send(connection_id: str) -> bool:
        if deliver(connection_id=connection_id, message=message, sender=live.sender, connections=live.connections):
            return True
        live.polls.unwatch(current, connection_id)
        return False

    if len(watchers) <= 1:
        return sum(map(send, watchers))
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(watchers))) as pool:
        return sum(pool.map(send, watchers))
