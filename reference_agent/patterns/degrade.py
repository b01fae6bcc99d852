"""Graceful degradation: an honest answer (flagged x-degraded) instead of an error page."""

from __future__ import annotations

MESSAGES = {
    "llm_unavailable": (
        "Sorry, our assistant is temporarily unavailable, so I can't answer this properly right "
        "now. Nothing was changed on your account. Please try again in a few minutes."
    ),
    "region_unavailable": (
        "Sorry, the assistant service in your data region is temporarily unavailable. To keep "
        "your data in its region I did not send your request elsewhere. Please try again later."
    ),
    "deadline": (
        "Sorry, this is taking longer than it should, so I stopped rather than keep you waiting. "
        "Please try again, or ask a narrower question."
    ),
    "request_budget": (
        "I stopped working on this request because it reached its processing limit. "
        "Please ask a narrower question."
    ),
    "tenant_budget": (
        "Your organisation has reached its assistant usage limit for the moment. "
        "Please try again in a minute."
    ),
    "max_iterations": (
        "I couldn't finish this request within the allowed number of steps, so I stopped. "
        "Please rephrase or ask a narrower question."
    ),
    "loop_detected": (
        "I noticed I was repeating the same lookup without making progress, so I stopped. "
        "Please rephrase or give me more detail."
    ),
}


def degraded_reply(reason: str, partial: str = "") -> str:
    base = MESSAGES.get(reason, MESSAGES["llm_unavailable"])
    return f"{partial.strip()}\n\n{base}" if partial.strip() else base
