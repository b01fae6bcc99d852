"""The travel agents' own tools: local functions with deterministic answers, and their
Messages API definitions (the agents built on frameworks wrap the same functions)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


def search_flights(origin: str, destination: str, date: str | None = None) -> dict[str, Any]:
    """Flights from origin to destination (on date, if given)."""
    key = f"{origin}|{destination}|{date}"
    flights = [{"flight": f"TA{100 + _pick(key + str(i), 900)}",
                "departs": f"{6 + 4 * i:02d}:{_pick(key, 6) * 10:02d}",
                "price_usd": 120 + _pick(key + str(i), 500)} for i in range(2)]
    return {"origin": origin, "destination": destination, "date": date, "flights": flights}


def get_weather(city: str) -> dict[str, Any]:
    """Current weather forecast for a city."""
    skies = ("sunny", "cloudy", "rain", "windy", "snow")
    return {"city": city, "forecast": skies[_pick(city, len(skies))],
            "temp_c": -5 + _pick(city + "t", 35)}


FUNCTIONS = {"search_flights": search_flights, "get_weather": get_weather}

TOOLS: list[dict[str, Any]] = [
    {"name": "search_flights",
     "description": "Search flights between two cities, optionally on a date.",
     "input_schema": {"type": "object", "properties": {
         "origin": {"type": "string", "description": "departure city"},
         "destination": {"type": "string", "description": "arrival city"},
         "date": {"type": "string", "format": "date", "description": "travel date"}},
         "required": ["origin", "destination"]}},
    {"name": "get_weather",
     "description": "Current weather forecast for a city.",
     "input_schema": {"type": "object", "properties": {
         "city": {"type": "string", "description": "city name"}},
         "required": ["city"]}},
]


def run_tool(name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    """A tool's result as the text of a tool_result block, and whether it is an error."""
    function = FUNCTIONS.get(name)
    if function is None:
        return f"unknown tool {name!r}", True
    try:
        return json.dumps(function(**arguments)), False
    except TypeError as exc:  # arguments that do not fit the function
        return f"bad arguments for {name}: {exc}", True
