"""Two of nats-py's per-message costs, skipped when there is nothing to wait for.

Counted under load (batched, 4,096 referrals), the Hebei adapter created 7.6 asyncio tasks a
referral and Beijing 4.5; most of them are nats-py's, not ours:

- a pull subscription's `fetch` takes each message of a batch with `Subscription.next_msg`,
  which starts a task (and `asyncio.wait_for`'s inner one, and a uuid4) even when the message
  is already in the subscription's queue: about 26 µs a message on an idle loop, and each
  referral is fetched twice at its receiver (its tracker, its inbox);
- `publish_async(..., wait_stall=...)` takes its pending-publish slot through `asyncio.wait_for`,
  which wraps the acquire in a task whenever a timeout is given, even with slots free.

`take_queued_first` gives a subscription a `next_msg` that returns a message already queued
at once (as the original would, a few loop turns later) and waits exactly as before when none
is; `stall_bound` passes no timeout while a slot is free (the acquire cannot wait then) and
the usual bound when the publishes in flight fill them.

And one of its failures: a `publish_async` the stream refuses (a compare-and-set on a stale revision,
err_code 10071) never settles its future: nats-py's reply handler calls `APIError.from_error`, which
raises instead of returning, so the error goes to the connection's error callback and the publisher
waits out its whole timeout, then reports a timeout rather than the refusal. `settle_refused_publishes`
gives the context a reply handler that settles the future with the error (before its first
`publish_async`: the reply subscription keeps the handler it was made with).

All three read nats-py attributes that are not its public API (the queue `next_msg` reads, the
slots' semaphore, the reply handler and its futures); tests/kernel/bus/test_quick_paths.py fails if
a release moves them.
"""

from __future__ import annotations

import json

import nats.js.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

_TAKES_QUEUED_FIRST = "_jjj_takes_queued_first"  # the marks of what is done already
_SETTLES_REFUSALS = "_jjj_settles_refusals"


def take_queued_first(subscription: JetStreamContext.PullSubscription) -> None:
    """From now on the subscription's fetches take what is already queued without a task each (idempotent)."""
    sub = getattr(subscription, "_sub", None)
    if sub is None or getattr(sub, _TAKES_QUEUED_FIRST, False):
        return  # not nats-py's pull subscription (a stand-in), or done already
    waiting_next_msg = sub.next_msg

    async def next_msg(timeout: float | None = 1.0) -> Msg:
        queue = sub._pending_queue
        if queue.empty() or sub._conn.is_closed:
            return await waiting_next_msg(timeout)  # the original: waits, times out, raises when closed
        message = queue.get_nowait()
        sub._pending_size -= len(message.data)
        queue.task_done()
        return message

    sub.next_msg = next_msg
    setattr(sub, _TAKES_QUEUED_FIRST, True)


def stall_bound(js: JetStreamContext, seconds: float) -> float | None:
    """`wait_stall` for `js.publish_async`: none while a pending-publish slot is free, else `seconds`."""
    return seconds if js._publish_async_pending_semaphore.locked() else None


def settle_refused_publishes(js: JetStreamContext) -> None:
    """`js.publish_async` futures settle with the stream's refusal (an APIError) at once (idempotent)."""
    if getattr(js, _SETTLES_REFUSALS, False):
        return
    replies = js._handle_async_reply

    async def handle_async_reply(message: Msg) -> None:
        token = message.subject[len(js._nc._inbox_prefix) + 22 + 2:]  # as nats-py's own handler reads it
        future = js._publish_async_futures.get(token)
        # Only a refusal is read here (a PubAck has no "error"): nats-py parses the acknowledgements itself.
        if future is not None and not future.done() and not message.headers and b'"error"' in message.data:
            try:
                answer = json.loads(message.data)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
                try:
                    nats.js.errors.APIError.from_error(answer["error"])  # raises the error's own class
                except nats.js.errors.APIError as refusal:
                    future.set_exception(refusal)
                    return
        await replies(message)

    js._handle_async_reply = handle_async_reply
    setattr(js, _SETTLES_REFUSALS, True)
