"""How the load speaks to the agent: the scenario's `agent.api` block (docs in
harness/scenario/README.md, "agent.api").

`AgentAPI` is a preset (`PRESETS`) with any of its parts overridden: method, path, headers, a
JSON body template, where the reply text is, and whether the reply streams. Templates are
compiled once; `render` fills them for one request (the load's hot path), `reply_text` and
`stream_reader` read the text back out of a JSON reply or a stream.

Paths into JSON (`reply`, `stream_text`) are JMESPath expressions; `a.0.b` is accepted for
`a[0].b` (the dotted form most APIs document).
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import quote

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from sseclient import SSEClient

PresetName = Literal["harness", "openai-chat", "anthropic-messages"]
StreamMode = Literal["none", "sse", "chunked"]
Method = Literal["POST", "PUT", "PATCH", "GET"]

PLACEHOLDERS = ("message", "session_id", "tenant", "tenant_key", "request_id")
"""Placeholders a string in `path`, `headers` or `body` may contain anywhere."""
WHOLE_VALUES = ("history", "messages", "stream")
"""Placeholders only a whole JSON string of `body` may be: `"{history}"` becomes the earlier
turns of the session, `"{messages}"` those plus the current user message, `"{stream}"` true
when the reply streams."""

SSE_DONE = "[DONE]"  # OpenAI's end-of-stream event data


@dataclass(frozen=True)
class Preset:
    """The defaults one kind of agent API gives every part of `AgentAPI`."""

    method: Method
    path: str
    headers: Mapping[str, str]
    body: Any
    reply: str
    stream_text: str | None  # None: an SSE event's data is the text itself
    description: str = field(default="", compare=False)


PRESETS: Mapping[str, Preset] = {
    "harness": Preset(
        method="POST",
        path="/v1/chat",
        headers={"x-api-key": "{tenant_key}"},
        body={"message": "{message}", "session_id": "{session_id}"},
        reply="reply",
        stream_text=None,
        description="this project's contract (the reference agent)",
    ),
    "openai-chat": Preset(
        method="POST",
        path="/v1/chat/completions",
        headers={"Authorization": "Bearer {tenant_key}"},
        body={"model": "agent", "messages": "{messages}", "stream": "{stream}"},
        reply="choices.0.message.content",
        stream_text="choices.0.delta.content",
        description="an OpenAI-style chat completions endpoint",
    ),
    "anthropic-messages": Preset(
        method="POST",
        path="/v1/messages",
        headers={"x-api-key": "{tenant_key}", "anthropic-version": "2023-06-01"},
        body={"model": "agent", "max_tokens": 1024, "messages": "{messages}", "stream": "{stream}"},
        reply="join('', content[?type=='text'].text)",
        stream_text="delta.text",  # content_block_delta events of text
        description="an agent that exposes the Anthropic Messages API",
    ),
}
"""The API presets by name; `AgentAPI(preset=name)` is that preset as is."""

_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPLIT = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_DOTTED_INDEX = re.compile(r"\.(\d+)(?=\.|\[|$)")


def compile_path(expression: str) -> jmespath.parser.ParsedResult:
    """A JMESPath expression; `a.0.b` is read as `a[0].b`. ValueError when neither parses."""
    try:
        return jmespath.compile(expression)
    except JMESPathError as first:
        dotted = _DOTTED_INDEX.sub(r"[\1]", expression)
        if dotted != expression:
            try:
                return jmespath.compile(dotted)
            except JMESPathError:
                pass
        column = getattr(first, "lex_position", None)
        where = f" at column {column + 1}" if isinstance(column, int) else ""
        raise ValueError(f"{expression!r} is not a JSON path (JMESPath): "
                         f"parse error{where}") from None


def as_text(value: Any) -> str | None:
    """What a path found, as reply text: a string, or the strings of a list joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str)]
        return "".join(parts) if parts else None
    return None


def _check_string(text: str, whole: bool, where: str = "") -> str:
    """`text` if its placeholders are known; `where` (a place in the body) prefixes errors."""
    at = f"{where}: " if where else ""
    for name in _NAME.findall(text):
        if name in PLACEHOLDERS:
            continue
        if name in WHOLE_VALUES:
            if whole and text != "{" + name + "}":
                raise ValueError(f"{at}{{{name}}} must be the whole value "
                                 f'("{{{name}}}"), not part of {text!r}')
            if not whole:
                raise ValueError(f"{at}{{{name}}} is allowed only in `body`")
            continue
        known = ", ".join("{" + n + "}" for n in (*PLACEHOLDERS, *(WHOLE_VALUES if whole else ())))
        raise ValueError(f"{at}unknown placeholder {{{name}}} in {text!r}; known: {known}")
    return text


def _template(text: str) -> str:
    return _check_string(text, whole=False)


Template = Annotated[str, AfterValidator(_template)]
"""A string of `path` or `headers`: placeholders anywhere, no whole values."""


def _check_body(value: Any, where: str) -> None:
    if isinstance(value, str):
        _check_string(value, whole=True, where=where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_body(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_body(item, f"{where}[{i}]")


Values = Mapping[str, Any]  # placeholder name -> value, for one request
Renderer = Callable[[Values], Any]


def _string_renderer(text: str) -> Renderer | str:
    """A constant string, or a function of the request's values."""
    parts = _SPLIT.split(text)
    if len(parts) == 1:
        return text
    if len(parts) == 3 and not parts[0] and not parts[2]:
        name = parts[1]
        return lambda values: values[name]
    literals, names = parts[0::2], parts[1::2]

    def render(values: Values) -> str:
        out = [literals[0]]
        for name, literal in zip(names, literals[1:], strict=True):
            out.append(values[name])
            out.append(literal)
        return "".join(out)

    return render


def _body_renderer(value: Any, stream: bool) -> Renderer | Any:
    """The body template as a constant or a function of the request's values."""
    if isinstance(value, str):
        if value == "{stream}":
            return stream
        if value in ("{history}", "{messages}"):
            name = value[1:-1]
            return lambda values: values[name]
        return _string_renderer(value)
    if isinstance(value, dict):
        items = [(k, _body_renderer(v, stream)) for k, v in value.items()]
        if not any(callable(v) for _, v in items):
            return dict(items)
        return lambda values: {k: v(values) if callable(v) else v for k, v in items}
    if isinstance(value, list):
        rendered = [_body_renderer(v, stream) for v in value]
        if not any(callable(v) for v in rendered):
            return rendered
        return lambda values: [v(values) if callable(v) else v for v in rendered]
    return value


def _quoted(render: Renderer | str) -> Renderer | str:
    """A path renderer that URL-quotes the values it puts in."""
    if not callable(render):
        return render

    def quoted(values: Values) -> Any:
        return render({k: quote(v, safe="") if isinstance(v, str) else v
                       for k, v in values.items()})  # fmt: skip

    return quoted


@dataclass(frozen=True)
class Rendered:
    """One request, ready to send."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # a JSON value; None: no body


class AgentAPI(BaseModel):
    """The agent's request and reply shape: a preset with any part overridden.

    Parts not given take the preset's; `headers` are added to the preset's (case-insensitive
    names; a header set to null drops the preset's one). All parts are resolved on
    validation, so a dumped `AgentAPI` validates back to the same API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: PresetName = "harness"
    method: Method = "POST"
    path: Template = Field(default="/v1/chat", pattern=r"^/")
    headers: dict[str, Template | None] = Field(default_factory=dict)  # None: not sent
    body: Any = None  # JSON template; None: no body
    reply: str = "reply"
    stream: StreamMode = "none"
    stream_text: str | None = None

    _render_path: Renderer | str = PrivateAttr()
    _render_headers: list[tuple[str, Renderer | str]] = PrivateAttr()
    _render_body: Renderer | Any = PrivateAttr()
    _reply: Any = PrivateAttr()
    _stream_text: Any = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _from_preset(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        name = data.get("preset", "harness")
        preset = PRESETS.get(name) if isinstance(name, str) else None
        if preset is None:
            return data  # the `preset` field reports it
        resolved = dict(data)
        for key in ("method", "path", "body", "reply", "stream_text"):
            if key not in resolved:
                resolved[key] = getattr(preset, key)
        headers = resolved.get("headers", {})
        if isinstance(headers, Mapping):  # else the `headers` field reports it
            given = {str(h).lower() for h in headers}
            merged: dict[Any, Any] = {k: v for k, v in preset.headers.items()
                                      if k.lower() not in given}  # fmt: skip
            merged.update(headers)
            resolved["headers"] = merged
        return resolved

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("reply", "stream_text")
    @classmethod
    def _json_path(cls, value: str | None) -> str | None:
        if value is not None:
            compile_path(value)
        return value

    @field_validator("body")
    @classmethod
    def _body_placeholders(cls, value: Any) -> Any:
        _check_body(value, "body")
        return value

    @model_validator(mode="after")
    def _body_fits_method(self) -> AgentAPI:
        if self.method == "GET" and self.body is not None:
            raise ValueError("a GET request has no body: set `body: null` or another method")
        return self

    def model_post_init(self, context: Any, /) -> None:
        streams = self.stream != "none"
        self._render_path = _quoted(_string_renderer(self.path))
        self._render_headers = [
            (k, _string_renderer(v)) for k, v in self.headers.items() if v is not None
        ]
        self._render_body = _body_renderer(self.body, streams)
        self._reply = compile_path(self.reply)
        self._stream_text = compile_path(self.stream_text) if self.stream_text else None

    def __eq__(self, other: object) -> bool:  # the compiled templates aside
        if not isinstance(other, AgentAPI):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # its dicts are mutable

    @property
    def uses_history(self) -> bool:
        """The body sends earlier turns: the load must keep each session's replies."""
        found: list[bool] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value in ("{history}", "{messages}"))
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(self.body)
        return any(found)

    def render(
        self,
        *,
        message: str,
        session_id: str,
        tenant: str,
        tenant_key: str,
        request_id: str,
        history: list[dict[str, str]] | None = None,
    ) -> Rendered:
        """The request for one user message; `history` is the session's earlier turns."""
        earlier = history or []
        values = {
            "message": message, "session_id": session_id, "tenant": tenant,
            "tenant_key": tenant_key, "request_id": request_id, "history": earlier,
            "messages": [*earlier, {"role": "user", "content": message}],
        }  # fmt: skip
        path = self._render_path
        body = self._render_body
        return Rendered(
            self.method,
            path(values) if callable(path) else path,
            {k: v(values) if callable(v) else v for k, v in self._render_headers},
            body(values) if callable(body) else body,
        )

    def reply_text(self, content: bytes | str | None) -> str | None:
        """The reply text of a whole (not streamed) JSON answer; None when it has none."""
        if not content:
            return None
        try:
            document = json.loads(content)
        except ValueError:
            return None
        return as_text(self._reply.search(document))

    def event_text(self, data: str) -> str:
        """The text delta one SSE event carries ("" for none)."""
        if self._stream_text is None:
            return data
        try:
            document = json.loads(data)
        except ValueError:
            return ""
        return as_text(self._stream_text.search(document)) or ""

    def stream_reader(self) -> StreamReader:
        return StreamReader(self)


class StreamReader:
    """Reads a streamed reply as it arrives: its text, its bytes, and when the first byte
    and the first text came (`clock()` readings; None until then).

    The first text is, for `sse`, the first event with a non-empty text delta; for
    `chunked`, the first non-empty piece. What was read stays readable when the read fails
    midway (a timeout, a reset, the load stopping)."""

    def __init__(self, api: AgentAPI, clock: Callable[[], float] = time.perf_counter) -> None:
        self.api = api
        self.clock = clock
        self.parts: list[str] = []
        self.pieces: list[bytes] = []
        self.first_byte: float | None = None
        self.first_text: float | None = None
        self.done = False  # an SSE `[DONE]` was seen

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def body(self) -> bytes:
        return b"".join(self.pieces)

    def read(self, pieces: Iterable[bytes]) -> StreamReader:
        """Consumes the body, given in pieces as received (any boundaries)."""
        if self.api.stream == "sse":
            for event in SSEClient(self._tap(pieces)).events():
                if event.data == SSE_DONE:
                    self.done = True  # read on to the end: the connection is reused
                    continue
                self._text(self.api.event_text(event.data))
        else:
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            for piece in self._tap(pieces):
                self._text(decoder.decode(piece))
            self._text(decoder.decode(b"", True))
        return self

    def _tap(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            if piece:
                if self.first_byte is None:
                    self.first_byte = self.clock()
                self.pieces.append(piece)
                yield piece

    def _text(self, text: str) -> None:
        if text:
            if self.first_text is None:
                self.first_text = self.clock()
            self.parts.append(text)
