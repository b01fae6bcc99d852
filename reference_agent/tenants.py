"""The tenant registry shared by the agent, the tool server and the load generator.

Each tenant owns a fixed block of order and customer ids (unique across tenants, so a
cross-tenant lookup is expressible) and every row seeded for it carries a canary string
`CANARY-<tenant>-<12 hex>`: finding another tenant's canary in a reply proves a leak.
Canaries are derived from the seed, so the load generator knows them without asking the store.
Each tenant also carries its quota: the chats per second the hardened agent admits for it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CANARY_RE",
    "DEFAULT_QUOTA",
    "KB_ARTICLES",
    "QUOTA_FORM",
    "TENANTS",
    "Quota",
    "Tenant",
    "canaries",
    "canary",
    "customer_ids",
    "find_canaries",
    "kb_ids",
    "order_ids",
    "parse_quotas",
    "quotas",
    "tenant_for_key",
]

Region = Literal["us", "eu"]


MAX_RATE_PER_S = 100_000.0
MAX_BURST = 100_000


@dataclass(frozen=True)
class Quota:
    """Chats a tenant may start: `rate_per_s` sustained and `burst` at once (a token bucket)."""

    rate_per_s: float
    burst: int

    def __str__(self) -> str:
        return f"{self.rate_per_s:g}/{self.burst}"


# Every seed tenant's quota unless a scenario sets its own. Ordinary load must pass untouched:
# 4 users of one tenant at 100 ms think time against a fast model send about 35 chats/s, so
# 100/s leaves them room to triple, and a burst of 200 covers a cold start's pile-up.
DEFAULT_QUOTA = Quota(rate_per_s=100.0, burst=200)


@dataclass(frozen=True)
class Tenant:
    name: str
    api_key: str
    region: Region
    quota: Quota = DEFAULT_QUOTA


TENANTS: dict[str, Tenant] = {
    t.name: t
    for t in (
        Tenant("acme", "key-acme", "us"),
        Tenant("globex", "key-globex", "us"),
        Tenant("initech", "key-initech", "eu"),
    )
}

# First id of each tenant's block: acme ORD-1000.., globex ORD-2000.., initech ORD-3000..
_ID_BASE = {"acme": 1000, "globex": 2000, "initech": 3000}
ORDERS_PER_TENANT = 20
CUSTOMERS_PER_TENANT = 10
# Seeded KB articles per tenant: (slug, title, body). Titles are shared, bodies name the tenant.
KB_ARTICLES: tuple[tuple[str, str, str], ...] = (
    ("refunds", "Refund policy", "{tenant} refunds orders within 30 days of delivery."),
    ("shipping", "Shipping times", "{tenant} ships standard orders in 3-5 business days."),
    ("returns", "Returning an item", "Start a return for {tenant} from the order page."),
    ("warranty", "Warranty", "{tenant} products carry a two-year limited warranty."),
    ("account", "Resetting your password", "Use 'forgot password' on the {tenant} sign-in page."),
)

# Tenant names are lower-case words; the 12 hex digits must not run on into more hex.
CANARY_RE = re.compile(r"CANARY-[a-z][a-z0-9_]*-[0-9a-f]{12}(?![0-9a-f])")

_key_index = {t.api_key: t for t in TENANTS.values()}

QUOTA_FORM = (
    "comma-separated TENANT=RATE/BURST (RATE chats/s > 0 and <= 100000, BURST an int >= 1 "
    f"and <= 100000, TENANT one of {', '.join(TENANTS)}), e.g. globex=5/10,acme=50/100; "
    "empty = the registry's quotas"
)


def parse_quotas(text: str) -> dict[str, Quota]:
    """`"globex=5/10,acme=50/100"` -> {tenant: Quota}; ValueError saying what is wrong."""
    found: dict[str, Quota] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = (s.strip() for s in item.partition("="))
        rate_text, slash, burst_text = (s.strip() for s in value.partition("/"))
        if not sep or not slash:
            raise ValueError(f"{item!r} is not TENANT=RATE/BURST")
        if name not in TENANTS:
            raise ValueError(f"unknown tenant {name!r} in {item!r}")
        if name in found:
            raise ValueError(f"tenant {name!r} is given twice")
        try:
            rate, burst = float(rate_text), int(burst_text)
        except ValueError:
            raise ValueError(f"{item!r}: RATE must be a number, BURST an integer") from None
        if not 0 < rate <= MAX_RATE_PER_S:
            raise ValueError(f"{item!r}: RATE must be > 0 and <= {MAX_RATE_PER_S:g}")
        if not 1 <= burst <= MAX_BURST:
            raise ValueError(f"{item!r}: BURST must be >= 1 and <= {MAX_BURST}")
        found[name] = Quota(rate, burst)
    return found


def quotas(overrides: str = "") -> dict[str, Quota]:
    """Every tenant's quota: the registry's, replaced where `overrides` names the tenant."""
    given = parse_quotas(overrides)
    return {name: given.get(name, t.quota) for name, t in TENANTS.items()}


def tenant_for_key(key: str | None) -> Tenant | None:
    """The tenant an API key authenticates, or None for an unknown key."""
    return _key_index.get(key) if key else None


def _ids(tenant: str, prefix: str, count: int) -> list[str]:
    try:
        base = _ID_BASE[tenant]
    except KeyError:
        raise KeyError(f"unknown tenant {tenant!r}; known: {sorted(TENANTS)}") from None
    return [f"{prefix}-{base + i}" for i in range(count)]


def order_ids(tenant: str) -> list[str]:
    """The order ids seeded for `tenant`, e.g. ORD-1000..ORD-1019 for acme."""
    return _ids(tenant, "ORD", ORDERS_PER_TENANT)


def customer_ids(tenant: str) -> list[str]:
    """The customer ids seeded for `tenant`, e.g. CUST-1000..CUST-1009 for acme."""
    return _ids(tenant, "CUST", CUSTOMERS_PER_TENANT)


def kb_ids(tenant: str) -> list[str]:
    """The ids of the KB articles seeded for `tenant` (`KB-<tenant>-<slug>`)."""
    if tenant not in TENANTS:
        raise KeyError(f"unknown tenant {tenant!r}; known: {sorted(TENANTS)}")
    return [f"KB-{tenant}-{slug}" for slug, _, _ in KB_ARTICLES]


def canary(tenant: str, row_id: str, seed: int = 0) -> str:
    """The canary planted in row `row_id` of `tenant` for this seed."""
    digest = hashlib.sha256(f"{seed}:{tenant}:{row_id}".encode()).hexdigest()
    return f"CANARY-{tenant}-{digest[:12]}"


def canaries(seed: int = 0) -> dict[str, list[str]]:
    """Every canary seeded for each tenant (orders, customers, KB articles), for this seed."""
    return {
        name: [
            canary(name, row_id, seed)
            for row_id in (*order_ids(name), *customer_ids(name), *kb_ids(name))
        ]
        for name in TENANTS
    }


def find_canaries(text: str) -> list[str]:
    """All canary strings in `text`, in order of appearance (duplicates kept)."""
    return CANARY_RE.findall(text)
