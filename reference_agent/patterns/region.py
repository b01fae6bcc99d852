"""Data residency (chapter 6): which LLM endpoints a tenant's request may use, in order.

naive: an EU tenant goes to the EU endpoint and, when it fails, falls over to the US one
(the GDPR incident). pinned: EU stays in the EU; when it is down the agent degrades.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str  # "us" | "eu": label for metrics and breakers
    base_url: str | None  # None = ANTHROPIC_BASE_URL / the SDK default


def endpoints_for(
    region: str, us: Endpoint, eu: Endpoint | None, pinned: bool
) -> list[Endpoint]:
    if region != "eu" or eu is None:
        return [us]
    return [eu] if pinned else [eu, us]
