"""One assistant turn when tools are offered: tool_choice, the knobs, which calls to make.

The reference agent's intents (ORD-/CUST- ids, knowledge questions; `Model._legacy`) are
tried first so the library's scenarios keep their verdicts; everything else goes through
the relevance model of tools_model.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harness.fake_llm.mentions import mentions, words
from harness.fake_llm.tools_model import (
    FREE_TEXT,
    Planned,
    Profile,
    build,
    found_values,
    plan,
    profile,
    relevance,
    threshold,
)

if TYPE_CHECKING:
    from harness.fake_llm.behaviour import Behaviour
    from harness.fake_llm.ids import IdSource
    from harness.fake_llm.model import Conversation

# What the model's legacy intents found: a complete call (name, input), a question asking
# for a missing id ("", text), or None.
Legacy = tuple[str, Any] | None
MAX_CALLS = 64  # per turn when neither the caller nor the behaviour caps them


def _canonical(name: str, args: Any) -> str:
    return name + json.dumps(args, sort_keys=True, default=str)


def calls_since_request(conv: Conversation) -> tuple[set[str], int]:
    """The calls the assistant already made for the latest user request (name + input) and
    how many of its turns made them."""
    start = 0
    for i, message in enumerate(conv.messages):
        content = message.get("content")
        if message.get("role") != "user":
            continue
        if isinstance(content, str) or any(
            isinstance(b, dict) and b.get("type") == "text" for b in content or []
        ):
            start = i
    done: set[str] = set()
    turns = 0
    for message in conv.messages[start + 1 :]:
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        used = [
            b for b in content
            if isinstance(b, dict) and b.get("type") in ("tool_use", "server_tool_use")
        ]
        turns += bool(used)
        done.update(_canonical(str(b.get("name")), b.get("input") or {}) for b in used)
    return done, turns


class ToolsTurn:
    def __init__(
        self, conv: Conversation, b: Behaviour, seed: int, ids: IdSource, legacy: Legacy
    ) -> None:
        self.conv, self.b, self.seed, self.ids, self.legacy = conv, b, seed, ids, legacy
        self.offered = conv.tools + [
            t for t in conv.server_tools if str(t.get("type", "")).startswith("web_search")
        ]
        self._profiles: list[Profile] | None = None
        self.text = conv.latest_user_text()

    @property
    def profiles(self) -> list[Profile]:
        """Built only past the reference intents, which answer most calls without them."""
        if self._profiles is None:
            self._profiles = [profile(t) for t in self.offered]
        return self._profiles

    def decide(self, has_results: bool) -> list[dict[str, Any]] | None:
        """The turn's blocks, or None to let the model answer in text (from the results)."""
        choice = str(self.conv.tool_choice.get("type", "auto"))
        if choice == "none" or not self.offered:
            return None
        if choice == "tool":
            name = self.conv.tool_choice.get("name")
            named = next((p for p in self.profiles if p.name == name), None)
            return self._render([self._build(named, forced=True)]) if named else None
        forced = choice == "any"
        done, turns = calls_since_request(self.conv)
        more_turns = self.b.tool_turns is not None and turns < self.b.tool_turns
        if self.b.tool_turns is not None and not more_turns and not forced:
            return None
        need = threshold(self.b.tool_eagerness)
        if need is None and not (forced or more_turns):
            return None
        ask = None
        if self.legacy is not None and choice == "auto":
            name, args = self.legacy
            if name and not has_results:
                return self._render([Planned(self._named(name), args, 0)])
            if name and not more_turns:
                return None  # the reference agent's exchange: answer from its result
            ask = args if not name else None
        planned = [
            c for c in plan(self.profiles, self.text, self.seed, need or 0)
            if self._evidenced(c) or forced or more_turns or need == 0
        ]
        planned = [self._with_tenant(c) for c in planned]
        remaining = [c for c in planned if _canonical(c.profile.name, c.input) not in done]
        if not remaining and (forced or more_turns):
            best = planned[0].profile if planned else self._best()
            remaining = [self._build(best, forced=True)]
        if not remaining:
            return [_text(ask)] if ask and not has_results else None
        if remaining[0].ask:
            if not (forced or more_turns):
                return None if has_results else [_text(ask or remaining[0].ask)]
            remaining[0] = self._build(remaining[0].profile, forced=True)
        cap = self.b.max_tool_calls_per_turn or MAX_CALLS
        if self.conv.tool_choice.get("disable_parallel_tool_use"):
            cap = 1
        return self._render([c for c in remaining if not c.ask][:cap])

    # -- helpers --------------------------------------------------------------------------
    def _named(self, name: str) -> Profile:
        return next(p for p in self.profiles if p.name == name)

    def _best(self) -> Profile:
        said, m = words(self.text), mentions(self.text)
        return max(self.profiles, key=lambda p: relevance(p, said, found_values(p, m)))

    def _evidenced(self, call: Planned) -> bool:
        """A tool is called under `auto` only when the user names it (a word of its name) or
        gives a value one of its parameters asks for (free text does not count: any message
        is free text)."""
        p = call.profile
        if p.name_words & words(self.text):
            return True
        found = found_values(p, mentions(self.text))
        return any(not (param.words & FREE_TEXT) for param in p.params if param.name in found)

    def _build(self, p: Profile, *, forced: bool = False) -> Planned:
        return self._with_tenant(build(p, mentions(self.text), self.seed, forced=forced))

    def _with_tenant(self, call: Planned) -> Planned:
        """`tenant`, when declared, is the system prompt's (as the legacy intents fill it)."""
        if any(param.name == "tenant" for param in call.profile.params) and (
            tenant := _system_tenant(self.conv.system)
        ):
            call.input = {**call.input, "tenant": tenant}
        return call

    def _render(self, calls: list[Planned]) -> list[dict[str, Any]]:
        client: list[dict[str, Any]] = []
        server: list[dict[str, Any]] = []
        for call in calls:
            block_id = self.ids.tool_use()
            if call.profile.server:
                server.extend(_web_search(block_id, call, self.seed))
            else:
                client.append(
                    {"type": "tool_use", "id": block_id, "name": call.profile.name,
                     "input": call.input}
                )
        if server and not client:
            titles = [r["title"] for b in server if b["type"] == "web_search_tool_result"
                      for r in b["content"]]
            server.append(_text("According to the search results: " + "; ".join(titles) + "."))
        return server + client


def _web_search(block_id: str, call: Planned, seed: int) -> list[dict[str, Any]]:
    """A web search the server ran itself: server_tool_use, then its result block."""
    server_id = "srv" + block_id
    query = str(call.input.get("query") or "")[:200]
    slug = "-".join(sorted(words(query)))[:60] or "search"
    results = [
        {
            "type": "web_search_result",
            "url": f"https://example.com/{slug}/{n}",
            "title": f"Result {n} for {query[:60]}",
            "encrypted_content": f"fake-{seed}-{n}-{slug}",
            "page_age": None,
        }
        for n in (1, 2)
    ]
    return [
        {"type": "server_tool_use", "id": server_id, "name": "web_search",
         "input": {"query": query}},
        {"type": "web_search_tool_result", "tool_use_id": server_id, "content": results},
    ]


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _system_tenant(system: str) -> str | None:
    from harness.fake_llm.model import system_tenant  # model.py imports this module

    return system_tenant(system)


__all__ = ["ToolsTurn", "calls_since_request"]
