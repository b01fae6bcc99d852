"""What a user sends (harness.load.traffic): deterministic per seed, scripts by weight, turns
in order under one session id with their think times, attacks mixed in; the task library
draws exactly as the locustfile did before."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from harness.load.attacks import load_corpus
from harness.load.scripts import Prompt, Session, Turn
from harness.load.tasks import TaskContext, attack, build_message
from harness.load.traffic import SESSION_TURNS, UserTraffic, user_traffic

CTX = TaskContext(tenant="acme", tenants=["acme", "globex"])
CORPUS = load_corpus()
SCRIPTS = [
    Prompt(text="Find me a flight to Lisbon", task="flights", weight=3),
    Prompt(text="Cancel my hotel"),
    Session(name="rebook", weight=1, turns=(
        Turn(text="I need to rebook"), Turn(text="Tuesday works", think_s=0.75),
        Turn(text="Window seat please"))),
]  # fmt: skip


def scripted(seed: int, ratio: float = 0.0, scripts: list = SCRIPTS) -> UserTraffic:
    return user_traffic(random.Random(seed), CTX, mix={}, scripts=scripts, corpus=CORPUS,
                        attack_ratio=ratio, attack_categories=None, think_s=0.2,
                        session_prefix="acme-u0")  # fmt: skip


def run(traffic: UserTraffic, n: int) -> list[tuple[str, str, str, int, float]]:
    out = []
    for _ in range(n):
        message = traffic.next()
        out.append((message.task, message.text, traffic.session_id, traffic.turn,
                    traffic.pause()))
    return out


def test_same_seed_same_traffic_other_seed_other_traffic() -> None:
    assert run(scripted(1, 0.1), 200) == run(scripted(1, 0.1), 200)
    assert run(scripted(1, 0.1), 200) != run(scripted(2, 0.1), 200)


def test_sessions_send_their_turns_in_order_under_one_id_with_their_think() -> None:
    sent = run(scripted(3), 300)
    sessions: dict[str, list[tuple[str, str, int, float]]] = {}
    for task, text, session, turn, pause in sent:
        sessions.setdefault(session, []).append((task, text, turn, pause))
    assert len(sessions) == len({s for _, _, s, _, _ in sent})
    for turns in list(sessions.values())[:-1]:  # the last one may be cut off
        if turns[0][0] != "rebook":
            assert len(turns) == 1 and turns[0][2] == 0  # a prompt: a session of one turn
            continue
        assert [t[1] for t in turns] == ["I need to rebook", "Tuesday works", "Window seat please"]
        assert [t[2] for t in turns] == [0, 1, 2]
        assert turns[0][3] == 0.75  # the pause before the second turn is its own `think`
        assert 0.1 <= turns[1][3] <= 0.3 and 0.1 <= turns[2][3] <= 0.3  # think_time, jittered
    draws = Counter(turns[0][0] for turns in sessions.values())
    total = sum(draws.values())
    assert abs(draws["flights"] / total - 0.6) < 0.12, draws  # weights 3 : 1 : 1
    assert abs(draws["prompt"] / total - 0.2) < 0.1 and abs(draws["rebook"] / total - 0.2) < 0.1


def test_attacks_mix_in_at_the_ratio_and_a_session_resumes_after_one() -> None:
    sent = run(scripted(5, ratio=0.25), 2000)
    attacks = [s for s in sent if s[0] == "attack"]
    assert abs(len(attacks) / len(sent) - 0.25) < 0.04
    by_session: dict[str, list[tuple[str, str, int]]] = {}
    for task, text, session, turn, _ in sent:
        by_session.setdefault(session, []).append((task, text, turn))
    inside = [turns for turns in list(by_session.values())[:-1]
              if any(t[0] == "rebook" for t in turns) and any(t[0] == "attack" for t in turns)]
    assert inside, "no attack landed inside a session"
    for turns in inside:
        assert [t[2] for t in turns] == list(range(len(turns)))  # one session, turns counted
        assert [t[1] for t in turns if t[0] == "rebook"] == [
            "I need to rebook", "Tuesday works", "Window seat please"]


def test_a_user_without_a_weighted_script_is_refused() -> None:
    with pytest.raises(ValueError, match="no prompt or session"):
        scripted(1, scripts=[Prompt(text="x", weight=0)])


def test_the_task_library_draws_as_before() -> None:
    """The sequence the locustfile produced before user traffic: attack draw, task draw,
    then the jittered pause, from one RNG; sessions of SESSION_TURNS messages."""
    mix = {"chat": 3, "order_lookup": 2, "kb_search": 1, "long_context": 1}
    traffic = user_traffic(random.Random("7:3"), CTX, mix=mix, scripts=None, corpus=CORPUS,
                           attack_ratio=0.2, attack_categories=None, think_s=0.2,
                           session_prefix="acme-u3")  # fmt: skip
    rng = random.Random("7:3")
    names, weights = list(mix), list(mix.values())
    for sent in range(60):
        if rng.random() < 0.2:
            expected = attack(rng, CTX, CORPUS, None)
        else:
            expected = build_message(rng.choices(names, weights)[0], rng, CTX)
        assert traffic.next() == expected
        assert traffic.session_id == f"acme-u3-s{sent // SESSION_TURNS}"
        assert traffic.turn == sent % SESSION_TURNS
        assert traffic.pause() == rng.uniform(0.5 * 0.2, 1.5 * 0.2)
