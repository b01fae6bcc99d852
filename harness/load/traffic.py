"""What one user sends, message by message: the built-in task library or the user's own
prompts and session scripts, with attacks mixed in at `attacks.ratio`.

Every choice draws from the user's own seeded RNG, in an order that depends only on earlier
choices (never on replies or timing): the same seed gives each user the same messages,
session ids, turns and pauses. The built-in source draws exactly as the locustfile did before
user traffic existed, so its runs are unchanged.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Protocol

from harness.load.attacks import Corpus
from harness.load.scripts import Prompt, Script, Session
from harness.load.tasks import Message, TaskContext, attack, build_message

SESSION_TURNS = 5  # built-in library: a user starts a new conversation every this many messages


class UserTraffic(Protocol):
    """A user's message source. `next()` also sets `session_id` and `turn` of that message;
    `pause()` is the think time before the one after it."""

    session_id: str
    turn: int

    def next(self) -> Message: ...

    def pause(self) -> float: ...


class _Attacks:
    """The attack side of a user: direct payloads at `ratio` of its messages."""

    def __init__(
        self, rng: random.Random, ctx: TaskContext, corpus: Corpus, ratio: float,
        categories: set[str] | None,
    ) -> None:  # fmt: skip
        self.rng, self.ctx, self.corpus = rng, ctx, corpus
        self.ratio, self.categories = ratio, categories

    def message(self) -> Message:
        return attack(self.rng, self.ctx, self.corpus, self.categories)


def _jitter(rng: random.Random, think_s: float) -> float:
    return rng.uniform(0.5 * think_s, 1.5 * think_s) if think_s > 0 else 0.0


class BuiltinTraffic:
    """The task library (`load.mix`), sessions of `SESSION_TURNS` messages."""

    def __init__(
        self, rng: random.Random, ctx: TaskContext, mix: Mapping[str, float], attacks: _Attacks,
        think_s: float, session_prefix: str,
    ) -> None:  # fmt: skip
        self.rng, self.ctx, self.attacks = rng, ctx, attacks
        self.think_s, self.prefix = think_s, session_prefix
        self._names = list(mix)
        self._weights = [mix[n] for n in self._names]
        self.sent = 0
        self.session_id = ""
        self.turn = 0

    def next(self) -> Message:
        n = self.sent
        self.sent = n + 1
        self.session_id = f"{self.prefix}-s{n // SESSION_TURNS}"
        self.turn = n % SESSION_TURNS
        rng = self.rng
        if self.attacks.ratio and rng.random() < self.attacks.ratio:
            return self.attacks.message()
        return build_message(rng.choices(self._names, self._weights)[0], rng, self.ctx)

    def pause(self) -> float:
        return _jitter(self.rng, self.think_s)


class ScriptedTraffic:
    """The user's prompts and sessions, drawn by weight.

    Idle, the user draws one script: a prompt is sent once as a session of one turn; a session
    sends its turns in order under one session id, each after its own `think` (else the
    jittered think time), then the user is idle again. Before every message, with probability
    `attacks.ratio`, an attack is sent instead: as a turn of the session under way (the script
    resumes after it, the same pause before its next turn), or, idle, as a session of its own.
    """

    def __init__(
        self, rng: random.Random, scripts: Sequence[Script], attacks: _Attacks, think_s: float,
        session_prefix: str,
    ) -> None:  # fmt: skip
        if not scripts or sum(s.weight for s in scripts) <= 0:
            raise ValueError("no prompt or session with a weight > 0 for this user's tenant")
        self.rng, self.attacks, self.think_s, self.prefix = rng, attacks, think_s, session_prefix
        self._scripts = list(scripts)
        self._cum = list(itertools.accumulate(s.weight for s in scripts))
        self._session: Session | None = None  # the script under way, while turns remain
        self._next = 0  # index of its next turn
        self._count = 0  # sessions started
        self.session_id = ""
        self.turn = 0

    def _start(self) -> None:
        self.session_id = f"{self.prefix}-s{self._count}"
        self._count += 1
        self.turn = 0

    def next(self) -> Message:
        rng = self.rng
        if self.attacks.ratio and rng.random() < self.attacks.ratio:
            if self._session is None:
                self._start()
            else:
                self.turn += 1
            return self.attacks.message()
        session = self._session
        if session is None:
            chosen = rng.choices(self._scripts, cum_weights=self._cum)[0]
            self._start()
            if isinstance(chosen, Prompt):
                return Message(chosen.task, chosen.text)
            session, self._next = chosen, 0
        else:
            self.turn += 1
        text = session.turns[self._next].text
        self._next += 1
        self._session = session if self._next < len(session.turns) else None
        return Message(session.name, text)

    def pause(self) -> float:
        if self._session is not None:
            think = self._session.turns[self._next].think_s
            if think is not None:
                return think
        return _jitter(self.rng, self.think_s)


def user_traffic(
    rng: random.Random, ctx: TaskContext, *, mix: Mapping[str, float],
    scripts: Sequence[Script] | None, corpus: Corpus, attack_ratio: float,
    attack_categories: set[str] | None, think_s: float, session_prefix: str,
) -> UserTraffic:  # fmt: skip
    """The user's source: the scripts of its tenant when the run has its own traffic
    (`scripts` not None), else the task library `mix`."""
    attacks = _Attacks(rng, ctx, corpus, attack_ratio, attack_categories)
    if scripts is not None:
        return ScriptedTraffic(rng, scripts, attacks, think_s, session_prefix)
    return BuiltinTraffic(rng, ctx, mix, attacks, think_s, session_prefix)
