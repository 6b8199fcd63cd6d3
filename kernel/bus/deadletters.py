"""Dead letters for operators: list them, redrive one to where it was going, or discard it.

A dead letter (jjj.bus.v1.DeadLetter on JJJ_DEAD_LETTERS) keeps the refused message's
bytes and its original subject. A redrive publishes those bytes, unchanged (the
sender's signature still holds), to that subject with a fresh Nats-Msg-Id (the
original id is inside JetStream's duplicate window and would be dropped) and a
`Jjj-Replay-Count` header one above the letter's own; a receiver that refuses it again
dead-letters it with that count, and beyond `max_replays` a redrive is refused, so a
message that can never be accepted does not loop. What was done to a letter (redriven,
discarded) is kept in the operator-only KV bucket JJJ_DEAD_LETTER_ACTIONS, keyed by the
letter's stream sequence: a letter is handled once.

Only the operator principal may do this (it publishes on any member's subject).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.js import JetStreamContext, api
from nats.js.errors import KeyNotFoundError, NotFoundError

from kernel.bus import jetstream, subjects
from kernel.errors import DeadLetterNotFound, RedriveRefused
from jjj.bus.v1 import envelope_pb2

REPLAY_HEADER = "Jjj-Replay-Count"
ACTIONS_BUCKET = subjects.DEAD_LETTER_ACTIONS_BUCKET
DEFAULT_MAX_REPLAYS = 3
REDRIVEN, DISCARDED = "redriven", "discarded"


@dataclass(frozen=True, slots=True)
class Action:
    action: str  # REDRIVEN or DISCARDED
    by: str
    reason: str
    at: str
    replay_count: int = 0
    redriven_sequence: int = 0  # of the message published again, on its flow's stream


def _as_dict(action: Action) -> dict:
    return {name: getattr(action, name) for name in Action.__slots__}


def _action_json(action: Action) -> bytes:
    return json.dumps(_as_dict(action), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Letter:
    sequence: int  # on JJJ_DEAD_LETTERS
    subject: str  # where the letter itself is: jjj.dead.<receiver>.<sender token>
    letter: envelope_pb2.DeadLetter
    stored_at: datetime | None
    action: Action | None = None

    @property
    def reason_name(self) -> str:
        return envelope_pb2.DeadLetterReason.Name(self.letter.reason)

    @property
    def receiver_token(self) -> str:
        parts = self.subject.split(".")
        return parts[2] if len(parts) == 4 else ""

    @property
    def sender_token(self) -> str:
        parts = self.subject.split(".")
        return parts[3] if len(parts) == 4 else ""

    @property
    def handled(self) -> bool:
        return self.action is not None


@dataclass
class DeadLetters:
    """The operator's view of JJJ_DEAD_LETTERS; `js` must be the operator principal's."""

    js: JetStreamContext
    max_replays: int = DEFAULT_MAX_REPLAYS
    _actions: object = field(default=None, repr=False)

    async def _bucket(self):
        if self._actions is None:
            try:
                self._actions = await self.js.key_value(ACTIONS_BUCKET)
            except Exception:  # an older bus: the operator may create what it lacks
                self._actions = await self.js.create_key_value(bucket=ACTIONS_BUCKET, history=1)
        return self._actions

    async def _action(self, sequence: int) -> Action | None:
        bucket = await self._bucket()
        try:
            entry = await bucket.get(str(sequence))
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        return Action(**json.loads(entry.value))

    async def get(self, sequence: int) -> Letter:
        try:
            raw = await self.js.get_msg(subjects.DEAD_LETTER_STREAM, seq=sequence)
        except NotFoundError:
            raise DeadLetterNotFound(f"no dead letter {sequence} on {subjects.DEAD_LETTER_STREAM}",
                                     metadata={"sequence": str(sequence)}) from None
        letter = envelope_pb2.DeadLetter.FromString(raw.data or b"")
        return Letter(sequence, raw.subject or "", letter, raw.time, await self._action(sequence))

    async def list(self, *, limit: int = 500, include_handled: bool = True) -> list[Letter]:
        """The newest `limit` letters, newest first."""
        with jetstream.bus_errors("reading dead letters"):
            info = await self.js.stream_info(subjects.DEAD_LETTER_STREAM)
        first, last = info.state.first_seq, info.state.last_seq
        letters: list[Letter] = []
        for sequence in range(last, max(first, 1) - 1, -1):
            if len(letters) >= limit:
                break
            try:
                letter = await self.get(sequence)
            except DeadLetterNotFound:  # deleted from the stream
                continue
            if include_handled or not letter.handled:
                letters.append(letter)
        return letters

    def _check_open(self, letter: Letter) -> None:
        if letter.handled:
            raise RedriveRefused(f"dead letter {letter.sequence} was already {letter.action.action} by {letter.action.by}",
                                 metadata={"sequence": str(letter.sequence), "action": letter.action.action})

    async def redrive(self, sequence: int, *, by: str, reason: str) -> Action:
        """Publish the refused bytes again to their original subject; refused past max_replays or when handled."""
        letter = await self.get(sequence)
        self._check_open(letter)
        replays = letter.letter.replay_count + 1
        if replays > self.max_replays:
            raise RedriveRefused(
                f"dead letter {sequence} was redriven {letter.letter.replay_count} times already (at most {self.max_replays})",
                metadata={"sequence": str(sequence), "replay_count": str(letter.letter.replay_count)})
        target = letter.letter.subject
        if not target or target.split(".")[0] != "jjj":
            raise RedriveRefused(f"dead letter {sequence} names no original subject", metadata={"sequence": str(sequence)})
        msg_id = f"redrive/{subjects.DEAD_LETTER_STREAM}/{sequence}/{replays}"
        headers = {api.Header.MSG_ID: msg_id, "Content-Type": jetstream.ENVELOPE_CONTENT_TYPE, REPLAY_HEADER: str(replays)}
        with jetstream.bus_errors(f"redriving dead letter {sequence} to {target}"):
            ack = await self.js.publish(target, letter.letter.envelope, headers=headers,
                                        timeout=jetstream.PUBLISH_TIMEOUT_SECONDS)
        action = Action(REDRIVEN, by, reason, _now(), replays, ack.seq)
        await self._mark(sequence, action)
        return action

    async def discard(self, sequence: int, *, by: str, reason: str) -> Action:
        letter = await self.get(sequence)
        self._check_open(letter)
        action = Action(DISCARDED, by, reason, _now(), letter.letter.replay_count)
        await self._mark(sequence, action)
        return action

    async def _mark(self, sequence: int, action: Action) -> None:
        bucket = await self._bucket()
        with jetstream.bus_errors(f"marking dead letter {sequence}"):
            await bucket.put(str(sequence), _action_json(action))


def replay_count_of(headers: dict | None) -> int:
    """The Jjj-Replay-Count of a message (0 when absent or not a number)."""
    try:
        return max(0, int((headers or {}).get(REPLAY_HEADER, "0")))
    except ValueError:
        return 0


def _now() -> str:
    return datetime.now(UTC).isoformat()
