"""A tiny CRM over HTTP, the dependency of http_dependency.py: customers and their trips.

GET /customers?q=TEXT -> {"customers": [...]} (every customer whose name, city or tier shares
a word with TEXT; all of them when none does), GET /healthz. Run it with
`python agents/crm_server.py --port N`; the harness starts it as an `agent.upstreams` entry
and puts it behind its proxy.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

import uvicorn
from fastapi import FastAPI

CUSTOMERS: list[dict[str, Any]] = [
    {"id": "C-1001", "name": "Ana Lima", "city": "Lisbon", "tier": "gold",
     "trips": ["Lisbon -> Boston, 2026-12-20"]},
    {"id": "C-1002", "name": "Ben Okafor", "city": "Lagos", "tier": "silver",
     "trips": ["Lagos -> London, 2027-01-04"]},
    {"id": "C-1003", "name": "Chloé Martin", "city": "Paris", "tier": "bronze", "trips": []},
]

app = FastAPI(title="crm")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/customers")
def customers(q: str = "") -> dict[str, Any]:
    words = {w for w in re.findall(r"\w+", q.lower()) if len(w) > 2}
    found = [c for c in CUSTOMERS
             if words & set(re.findall(r"\w+", f"{c['name']} {c['city']} {c['tier']}".lower()))]
    return {"customers": found or CUSTOMERS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
