"""The deterministic "model": reads the conversation, decides on text or a tool call.

The rules are documented in README.md; in short: the last user turn decides, tools are chosen
by simple intents among the tools the request offers, tool results are quoted back, and with
`susceptible` the model obeys instructions injected into user text or tool results.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from harness.fake_llm.behaviour import Behaviour, Decision
from harness.fake_llm.ids import IdSource
from harness.fake_llm.injection import DATA_REQUEST, Injection, read_injection
from harness.fake_llm.reply_faults import INVALID_JSON_KEY, broken_json
from harness.fake_llm.sse import count_text_chunks
from harness.fake_llm.structured import output_schema, structured_answer
from harness.fake_llm.thinking import Signer, ThinkingConfig, thinking_text, thinking_tokens
from harness.fake_llm.thinking import config as thinking_config
from harness.fake_llm.tokens import CHARS_PER_TOKEN, block_tokens, text_tokens
from harness.fake_llm.tools_turn import ToolsTurn

ORDER_ID = re.compile(r"\bORD-\d+\b", re.IGNORECASE)
CUSTOMER_ID = re.compile(r"\bCUST-\d+\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
KB_WORDS = re.compile(
    r"\b(?:polic(?:y|ies)|refunds?|shipping|how|kb|articles?|docs?)\b", re.IGNORECASE
)
ORDER_WORD = re.compile(r"\borders?\b", re.IGNORECASE)
CUSTOMER_WORD = re.compile(r"\bcustomers?\b", re.IGNORECASE)
SYSTEM_TENANT = re.compile(r"\btenant\s*[:=]\s*([A-Za-z0-9][\w-]*)", re.IGNORECASE)
GREETING = re.compile(r"^\s*(?:hi|hello|hey|thanks|thank you|ok|okay)\b", re.IGNORECASE)

# Which tool an intent wants: the first offered tool whose name contains one of these.
INTENT_TOOLS: dict[str, tuple[str, ...]] = {
    "order": ("order",),
    "customer": ("customer",),
    "kb": ("kb", "search"),
}
ASK_FOR: dict[str, str] = {
    "order": "Could you give me the order id (it looks like ORD-1234)?",
    "customer": "Could you give me the customer id (CUST-1234) or the customer's email?",
    "kb": "What would you like me to look up?",
}

_SENTENCES = (
    "I looked at this carefully.",
    "Here is what I can tell you.",
    "The short answer is yes, with a few caveats.",
    "It depends on the details of your account.",
    "Most customers in your situation resolve this within a day.",
    "I would start with the simplest option first.",
    "Let me know if you want me to go deeper.",
    "Nothing here needs urgent action.",
    "You can change this later if you need to.",
    "That is a common question.",
)
_FILLER_UNIT = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
_FILLER = _FILLER_UNIT * 64


def filler(chars: int) -> str:
    """Cheap deterministic text of exactly `chars` characters."""
    if chars <= 0:
        return ""
    reps = -(-chars // len(_FILLER))
    return (_FILLER * reps)[:chars]


@dataclass(slots=True)
class Reply:
    """One assistant turn. `stream_json` holds, per tool_use block index, the JSON text to stream
    (differs from `input` when the call is truncated or malformed)."""

    content: list[dict[str, Any]]
    stop_reason: str
    output_tokens: int
    stream_json: dict[int, str] = field(default_factory=dict)
    stop_details: dict[str, Any] | None = None  # a refusal's (see reply_faults.py)
    stop_sequence: str | None = None
    web_searches: int = 0

    @property
    def timed_chunks(self) -> int:
        """Text and thinking deltas: each takes `token_ms`."""
        return sum(
            count_text_chunks(b.get("text") or b.get("thinking") or "") for b in self.content
        )

    @property
    def tool_calls(self) -> int:
        return sum(1 for b in self.content if b["type"] == "tool_use")


@dataclass(slots=True)
class Conversation:
    """The parts of a request the model reads."""

    system: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]  # client tools (custom); server tools are in `server_tools`
    max_tokens: int
    server_tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: dict[str, Any] = field(default_factory=dict)
    stop_sequences: list[str] = field(default_factory=list)
    thinking: ThinkingConfig | None = None
    output_schema: dict[str, Any] | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any], model_id: str | None = None) -> Conversation:
        """The conversation of a validated request; raises the API's 400 for a bad
        `thinking` or `output_config` (checked here: the model reads both)."""
        system = body.get("system") or ""
        if isinstance(system, list):
            system = "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
        tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
        client = [t for t in tools if t.get("type") in (None, "custom")]
        choice = body.get("tool_choice")
        stops = body.get("stop_sequences")
        return cls(
            system,
            body.get("messages") or [],
            client,
            body["max_tokens"],
            [t for t in tools if t.get("type") not in (None, "custom")],
            choice if isinstance(choice, dict) else {},
            [s for s in stops if isinstance(s, str) and s] if isinstance(stops, list) else [],
            thinking_config(body, model_id or str(body.get("model"))),
            output_schema(body),
        )

    def last_user(self) -> dict[str, Any] | None:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message
        return None

    def latest_user_text(self) -> str:
        """The newest user text, looking back past turns that only carry tool results."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                text = user_text(message)
                if text:
                    return text
        return ""

    def previous_tool_call(self) -> tuple[str, dict[str, Any]] | None:
        for message in reversed(self.messages):
            if message.get("role") == "assistant":
                for block in _blocks(message):
                    if block.get("type") == "tool_use":
                        return block.get("name", ""), block.get("input") or {}
                return None
        return None


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def user_text(message: dict[str, Any]) -> str:
    return "\n".join(b.get("text", "") for b in _blocks(message) if b.get("type") == "text")


def result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, str):
        return content
    return "\n".join(
        b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
    )


def system_tenant(system: str) -> str | None:
    """The `tenant: X` / `tenant=X` of a system prompt. Prompts run to many KB (the reference
    agent's is 12 KB) and a case-insensitive regex scan of all of it costs ~0.4 ms a call, so
    jump to each `tenant` with str.find and match there (~20x faster)."""
    if not system.isascii():  # lower() could shift indices; rare, take the slow path
        return m.group(1) if (m := SYSTEM_TENANT.search(system)) else None
    lowered = system.lower()
    at = lowered.find("tenant")
    while at != -1:
        if m := SYSTEM_TENANT.match(system, at):
            return m.group(1)
        at = lowered.find("tenant", at + 1)
    return None


def detect_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """The first matching intent, by priority: ids, then knowledge questions, then bare words."""
    if m := ORDER_ID.search(text):
        return "order", {"order_id": m.group(0).upper()}
    cust, email = CUSTOMER_ID.search(text), EMAIL.search(text)
    if cust or email:
        args: dict[str, Any] = {}
        if cust:
            args["customer_id"] = cust.group(0).upper()
        if email:
            args["email"] = email.group(0)
        return "customer", args
    if KB_WORDS.search(text):
        return "kb", {"query": text.strip()}
    if ORDER_WORD.search(text):
        return "order", {}
    if CUSTOMER_WORD.search(text):
        return "customer", {}
    return None


def find_tool(tools: list[dict[str, Any]], intent: str) -> dict[str, Any] | None:
    needles = INTENT_TOOLS[intent]
    for tool in tools:
        name = str(tool.get("name", "")).lower()
        if any(n in name for n in needles):
            return tool
    return None


def _schema(tool: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    schema = tool.get("input_schema") or {}
    props = schema.get("properties")
    return (props if isinstance(props, dict) else None), list(schema.get("required") or [])


class Model:
    """Turns a conversation plus the current behaviour into a Reply. Stateless apart from the
    id source; text answers are seeded by (seed, user text) so they do not depend on order."""

    def __init__(self, seed: int, ids: IdSource) -> None:
        self.seed = seed
        self.ids = ids
        self.signer = Signer(seed)

    def reply(self, conv: Conversation, behaviour: Behaviour, decision: Decision) -> Reply:
        self.signer.verify(conv.messages)
        content = self._decide(conv, behaviour)
        if conv.output_schema is not None and not any(b["type"] == "tool_use" for b in content):
            content = [*_not_text(content), _text(self._structured(conv))]
        if behaviour.output_tokens:
            content = _force_length(content, behaviour.output_tokens)
        stop_sequence = None
        if conv.stop_sequences:
            content, stop_sequence = _apply_stop(content, conv.stop_sequences)
        head, head_tokens = self._thinking(conv, behaviour, content)
        return self._finish(content, conv, decision, head, head_tokens, stop_sequence)

    def _structured(self, conv: Conversation) -> str:
        last = conv.last_user() or {"content": ""}
        results = [result_text(b) for b in _blocks(last) if b.get("type") == "tool_result"]
        text = "\n".join([conv.latest_user_text(), *results])
        return structured_answer(conv.output_schema or {}, text, self.seed)

    def _thinking(
        self, conv: Conversation, b: Behaviour, content: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], int]:
        """The thinking blocks that open the reply, and the output tokens they cost."""
        cfg = conv.thinking
        if cfg is None:
            return [], 0
        prompt = conv.latest_user_text()
        tokens = thinking_tokens(cfg, prompt, b.thinking_tokens, conv.max_tokens)
        if tokens <= 0:
            return [], 0
        if b.redacted_thinking:
            return [{"type": "redacted_thinking", "data": self.signer.redact(tokens)}], tokens
        calls = [x for x in content if x["type"] in ("tool_use", "server_tool_use")]
        plan = (
            " ".join(f"I will call {c['name']} with {json.dumps(c['input'])}." for c in calls)
            if calls
            else "I can answer this directly."
        )
        text = "" if cfg.omitted else thinking_text(self.seed, prompt, plan, tokens)
        return [{"type": "thinking", "thinking": text, "signature": self.signer.sign(text)}], tokens

    # -- deciding -------------------------------------------------------------------------
    def _decide(self, conv: Conversation, b: Behaviour) -> list[dict[str, Any]]:
        last = conv.last_user() or {"content": ""}
        blocks = _blocks(last)
        results = [b_ for b_ in blocks if b_.get("type") == "tool_result"]
        text = user_text(last)
        if b.susceptible:
            echoes = _own_words(conv) if results else ()
            sources = [(text, False), *((_unechoed(result_text(r), echoes), True) for r in results)]
            own = system_tenant(conv.system)
            for source, in_tool_result in sources:
                injected = self._injected(conv, source, in_tool_result, own)
                if injected is not None:
                    return injected
        if conv.tools and b.loop:
            return [self._loop_call(conv)]
        if conv.tools or conv.server_tools:
            legacy = self._legacy(conv, conv.latest_user_text()) if conv.tools else None
            turn = ToolsTurn(conv, b, self.seed, self.ids, legacy)
            if (decided := turn.decide(bool(results))) is not None:
                return decided
        if results:
            return [self._summarise(results)]
        return [_text(self._answer(text))]

    def _legacy(self, conv: Conversation, text: str) -> tuple[str, Any] | None:
        """The reference agent's intents (README rule 4): (tool name, input) for a complete
        call, ("", question) when a required field is missing, None when no intent fits."""
        found = detect_intent(text)
        if not found:
            return None
        intent, args = found
        tool = find_tool(conv.tools, intent)
        if tool is None:
            return None
        props, required = _schema(tool)
        if props is not None:
            args = {k: v for k, v in args.items() if k in props}
            if "tenant" in props and (tenant := system_tenant(conv.system)):
                args["tenant"] = tenant
        if any(r not in args for r in required):
            return "", ASK_FOR[intent]
        return str(tool["name"]), args

    def _tool_call(self, conv: Conversation, text: str) -> list[dict[str, Any]] | None:
        legacy = self._legacy(conv, text)
        if legacy is None:
            return None
        name, args = legacy
        return [self._tool_use(name, args)] if name else [_text(args)]

    def _loop_call(self, conv: Conversation) -> dict[str, Any]:
        """`loop`: always another tool call, from the latest user intent or else the first tool."""
        text = conv.latest_user_text()
        if (call := self._tool_call(conv, text)) and call[0]["type"] == "tool_use":
            return call[0]
        tool = conv.tools[0]
        _props, required = _schema(tool)
        args = {name: text[:80] or "more" for name in required}
        return self._tool_use(tool.get("name", "tool"), args)

    def _injected(
        self, conv: Conversation, source: str, in_tool_result: bool, own: str | None
    ) -> list[dict[str, Any]] | None:
        """`susceptible`: obey an instruction injected into `source` (see injection.py);
        `own` is the system prompt's tenant."""
        injection = read_injection(source, own, in_tool_result=in_tool_result)
        if injection is None:
            return None
        if injection.reveal:
            return [_text(_revealed(conv, injection.wants_tools))]
        if conv.tools and (call := _obeyed_call(conv, injection, own)) is not None:
            # A weak model does not repeat the exact call it just made: that ends the episode.
            if conv.previous_tool_call() != call:
                return [self._tool_use(*call)]
            return None
        return [_text(f"Understood. {injection.instruction}")]

    def _summarise(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        parts = []
        for r in results:
            body = result_text(r)
            parts.append(f"The tool reported an error: {body}" if r.get("is_error") else body)
        return _text("Here is what I found: " + "\n".join(parts))

    def _answer(self, text: str) -> str:
        rng = random.Random(f"{self.seed}:{text}")
        words = text.split()
        if not words:
            return "Hello! How can I help you today?"
        if len(text) < 60 or GREETING.match(text):
            return rng.choice(("Sure.", "Hello! How can I help?", "Got it.", "Happy to help."))
        topic = " ".join(words[:8]).rstrip("?.!,")
        picked = rng.sample(_SENTENCES, rng.randint(2, 4))
        return f'About "{topic}": ' + " ".join(picked)

    def _tool_use(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return {"type": "tool_use", "id": self.ids.tool_use(), "name": name, "input": args}

    # -- finishing: limits and faults -----------------------------------------------------
    def _finish(
        self,
        content: list[dict[str, Any]],
        conv: Conversation,
        d: Decision,
        head: list[dict[str, Any]] | None = None,
        head_tokens: int = 0,
        stop_sequence: str | None = None,
    ) -> Reply:
        """Apply the drawn tool faults and `max_tokens`. `head` (thinking) opens the reply
        and has already used `head_tokens` of the budget."""
        head = head or []
        stream_json: dict[int, str] = {}
        searches = sum(1 for b in content if b["type"] == "server_tool_use")
        has_tool = any(b["type"] == "tool_use" for b in content)
        if has_tool and (d.truncated_tool or d.malformed_tool):
            index = next(i for i, b in enumerate(content) if b["type"] == "tool_use")
            block = content[index]
            full = json.dumps(block["input"])
            if d.truncated_tool:
                stream_json[index + len(head)] = full[: max(1, len(full) // 2)]
                block["input"] = {}
                # The model ran out of tokens in the middle of the call: all of them used.
                return Reply(head + content, "max_tokens", conv.max_tokens, stream_json)
            if d.malformed_json:
                stream_json[index + len(head)] = broken_json(block["input"])
                block["input"] = {INVALID_JSON_KEY: stream_json[index + len(head)]}
            else:
                block["input"] = _malformed(block["input"], conv.tools, block["name"])
        content, stop, used = _cap(content, conv.max_tokens - head_tokens)
        if stop is None:
            if stop_sequence is not None:
                stop = "stop_sequence"
            else:
                stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        matched = stop_sequence if stop == "stop_sequence" else None
        return Reply(
            head + content,
            stop,
            used + head_tokens,
            stream_json,
            stop_sequence=matched,
            web_searches=searches,
        )


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _own_words(conv: Conversation) -> tuple[str, ...]:
    """The string arguments of the model's last tool call, raw and JSON-escaped: a tool that
    echoes them (kb_search returns its query) does not hand the model new instructions."""
    previous = conv.previous_tool_call()
    if previous is None:
        return ()
    strings = [v for v in previous[1].values() if isinstance(v, str) and len(v) >= 16]
    return tuple({form for v in strings for form in (v, json.dumps(v)[1:-1])})


def _unechoed(text: str, echoes: tuple[str, ...]) -> str:
    for echo in echoes:
        text = text.replace(echo, "")
    return text


def _revealed(conv: Conversation, with_tools: bool) -> str:
    text = conv.system or "(no system prompt)"
    if with_tools and conv.tools:
        listed = [
            {k: t[k] for k in ("name", "description", "input_schema") if k in t} for t in conv.tools
        ]
        text += "\n\nTools:\n" + json.dumps(listed, indent=2)
    return text


def _explicit_tool(tools: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The offered tool the instruction names (`call order_lookup ...`), first mention wins."""
    best: tuple[int, dict[str, Any]] | None = None
    for tool in tools:
        name = str(tool.get("name", ""))
        m = re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) if name else None
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), tool)
    return best[1] if best else None


def _dictated(text: str, props: dict[str, Any]) -> dict[str, str]:
    """Argument values the instruction dictates: `order_id "X"`, `"tenant": "X"`, `query=X`."""
    out = {}
    for prop in props:
        m = re.search(
            rf"\b{re.escape(prop)}\b[\"']?\s*(?:[:=]\s*)?[\"']([^\"'\n]*)[\"']", text, re.IGNORECASE
        )
        if m:
            out[prop] = m.group(1)
    return out


def _obeyed_call(
    conv: Conversation, injection: Injection, own_tenant: str | None
) -> tuple[str, dict[str, Any]] | None:
    """The tool call a gullible model makes for an injected instruction, or None.

    Tool: the one it names, else by id (order, then customer / email), else a data request
    without an id goes to the search tool (the one tool that returns rows without an id).
    Tenant: the one it names (even if the schema lacks `tenant`); else none at all when the
    instruction lifted the rules (the system prompt's `tenant:` line went with them); else
    the system prompt's, as for any call."""
    text, tools = injection.text, conv.tools
    order, cust = ORDER_ID.search(text), CUSTOMER_ID.search(text)
    email = EMAIL.search(text) if CUSTOMER_WORD.search(text) else None
    tool = _explicit_tool(tools, text)
    if tool is None and order:
        tool = find_tool(tools, "order")
    if tool is None and (cust or email):
        tool = find_tool(tools, "customer")
    if tool is None and DATA_REQUEST.search(text):
        tool = find_tool(tools, "kb")
    if tool is None:
        return None
    props, required = _schema(tool)
    found: dict[str, Any] = {
        "order_id": order.group(0).upper() if order else None,
        "customer_id": cust.group(0).upper() if cust else None,
        "email": email.group(0) if email else None,
        "query": text.strip()[:200],
    }
    args = {k: v for k, v in found.items() if v is not None and (props is None or k in props)}
    if props is not None:
        args.update(_dictated(text, props))
    if injection.tenant:
        args["tenant"] = injection.tenant
    elif injection.overrides:
        args.pop("tenant", None)
    elif props is not None and "tenant" in props and own_tenant:
        args["tenant"] = own_tenant
    if any(r not in args for r in required if r != "tenant"):
        return None
    return str(tool["name"]), args


def _malformed(args: dict[str, Any], tools: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Arguments that break the tool's schema: drop a required field, or give it a wrong type."""
    tool = next((t for t in tools if t.get("name") == name), {})
    _props, required = _schema(tool)
    bad = dict(args)
    if required and required[0] in bad:
        del bad[required[0]]
    elif bad:
        key = next(iter(bad))
        bad[key] = [12345]
    else:
        bad["unexpected"] = 12345
    return bad


def _out_tokens(block: dict[str, Any]) -> int:
    """Output tokens of a block the model wrote; a server tool's result is not written by
    the model (the API bills it as input of the continuation)."""
    if block["type"] == "web_search_tool_result":
        return 0
    return block_tokens(block)


def _not_text(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in content if b["type"] != "text"]


def _apply_stop(
    content: list[dict[str, Any]], stops: list[str]
) -> tuple[list[dict[str, Any]], str | None]:
    """Cut the reply at the first stop sequence in its text: the text before it is kept and
    nothing after it is generated."""
    for i, block in enumerate(content):
        if block["type"] != "text":
            continue
        text = block["text"]
        hits = [(at, s) for s in stops if (at := text.find(s)) != -1]
        if hits:
            at, matched = min(hits)
            return [*content[:i], _text(text[:at])], matched
    return content, None


def _force_length(content: list[dict[str, Any]], target: int) -> list[dict[str, Any]]:
    """Make the reply exactly `target` output tokens, padding with filler text."""
    tool_tokens = sum(block_tokens(b) for b in content if b["type"] != "text")
    text_budget = max(0, target - tool_tokens)
    texts = [b for b in content if b["type"] == "text"]
    base = " ".join(b["text"] for b in texts)
    chars = text_budget * CHARS_PER_TOKEN
    body = base[:chars] if len(base) >= chars else base + " " + filler(chars - len(base) - 1)
    others = [b for b in content if b["type"] != "text"]
    return ([_text(body)] if body else []) + others


def _cap(
    content: list[dict[str, Any]], max_tokens: int
) -> tuple[list[dict[str, Any]], str | None, int]:
    """Cut the reply at max_tokens (text is cut; a tool call that does not fit is dropped).
    Returns the kept blocks, "max_tokens" or None, and the output tokens used."""
    kept: list[dict[str, Any]] = []
    budget = max_tokens
    for block in content:
        cost = _out_tokens(block)
        if cost <= budget:
            kept.append(block)
            budget -= cost
            continue
        if block["type"] == "text" and budget > 0:
            kept.append(_text(block["text"][: budget * CHARS_PER_TOKEN]))
            budget = 0
        return kept or [_text("")], "max_tokens", max_tokens - budget
    return kept, None, max_tokens - budget


__all__ = ["Conversation", "Model", "Reply", "detect_intent", "filler", "text_tokens"]
