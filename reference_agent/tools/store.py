"""The tenant store behind the tool server: orders, customers and KB articles per tenant.

`TenantStore` is the seam: the SQLite implementation here is the embedded default, and a
PostgreSQL implementation with row-level security can sit behind `--store postgresql://...`.
Every read takes `tenant`: a tenant name scopes the query to that tenant's rows (with RLS the
store sets the session's tenant and the database enforces it; here the WHERE clause carries
it), and `None` reads across all tenants, which is what a naive tool server does.
"""

from __future__ import annotations

import random
import re
import sqlite3
import threading
from typing import Any, Protocol, runtime_checkable

from reference_agent.tenants import (
    KB_ARTICLES,
    TENANTS,
    canaries,
    canary,
    customer_ids,
    order_ids,
)

__all__ = ["TENANTS", "SQLiteStore", "TenantStore", "canaries", "open_store"]

Row = dict[str, Any]


@runtime_checkable
class TenantStore(Protocol):
    """Reads are scoped to `tenant` when it is given, unscoped (all tenants) when None."""

    async def get_order(self, order_id: str, tenant: str | None) -> Row | None: ...

    async def get_customer(
        self, *, customer_id: str | None, email: str | None, tenant: str | None
    ) -> Row | None: ...

    async def search_kb(self, query: str, tenant: str | None, limit: int = 5) -> list[Row]: ...

    async def add_document(self, tenant: str, title: str, body: str) -> Row:
        """Plant a KB article for `tenant`; returns the stored row (with id and canary)."""
        ...

    async def remove_planted(self) -> int:
        """Remove every planted article; returns how many were removed."""
        ...

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL,
    email TEXT NOT NULL, phone TEXT NOT NULL, canary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, customer_id TEXT NOT NULL,
    status TEXT NOT NULL, item TEXT NOT NULL, total_usd REAL NOT NULL,
    created TEXT NOT NULL, canary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kb_articles (
    kb_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
    planted INTEGER NOT NULL DEFAULT 0, canary TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS customers_email ON customers (lower(email));
CREATE INDEX IF NOT EXISTS kb_tenant ON kb_articles (tenant);
"""

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Linus")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")
_ITEMS = ("laptop stand", "USB-C hub", "mechanical keyboard", "monitor arm", "desk lamp", "webcam")
_STATUSES = ("processing", "shipped", "delivered", "returned", "cancelled")
_WORD = re.compile(r"[a-z0-9]{3,}")


def _seed_rows(seed: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Deterministic seed data for every tenant: (customers, orders, kb_articles)."""
    rng = random.Random(seed)
    customers, orders, articles = [], [], []
    for tenant in TENANTS:
        cust_ids = customer_ids(tenant)
        for cid in cust_ids:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first}.{last}.{cid[5:]}@{tenant}.example".lower()
            phone = f"+1-555-{rng.randrange(10**4):04d}"
            customers.append(
                (cid, tenant, f"{first} {last}", email, phone, canary(tenant, cid, seed))
            )
        for oid in order_ids(tenant):
            orders.append(
                (
                    oid,
                    tenant,
                    rng.choice(cust_ids),
                    rng.choice(_STATUSES),
                    rng.choice(_ITEMS),
                    round(rng.uniform(15, 400), 2),
                    f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    canary(tenant, oid, seed),
                )
            )
        for slug, title, body in KB_ARTICLES:
            kb_id = f"KB-{tenant}-{slug}"
            articles.append(
                (
                    kb_id,
                    tenant,
                    title,
                    body.format(tenant=tenant.capitalize()),
                    0,
                    canary(tenant, kb_id, seed),
                )
            )
    return customers, orders, articles


class SQLiteStore:
    """SQLite tenant store, seeded on open (idempotently, so a `--db FILE` can be reused).

    Queries take well under a millisecond, so they run inline on the event loop: a thread
    hop would cost more than the query. One lock serialises use of the single connection.
    """

    def __init__(self, path: str = ":memory:", *, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        # The server's event loop thread is not the thread that opens the store.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        customers, orders, articles = _seed_rows(seed)
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO customers VALUES (?,?,?,?,?,?)", customers)
            self._db.executemany("INSERT OR REPLACE INTO orders VALUES (?,?,?,?,?,?,?,?)", orders)
            self._db.executemany(
                "INSERT OR REPLACE INTO kb_articles VALUES (?,?,?,?,?,?)", articles
            )
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple) -> list[Row]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params)]

    @staticmethod
    def _scope(sql: str, params: tuple, tenant: str | None) -> tuple[str, tuple]:
        # Row-level scoping: the tenant is part of the WHERE clause, never a filter afterwards.
        if tenant is None:
            return sql, params
        return f"{sql} AND tenant = ?", (*params, tenant)

    async def get_order(self, order_id: str, tenant: str | None) -> Row | None:
        rows = self._query(
            *self._scope("SELECT * FROM orders WHERE order_id = ?", (order_id,), tenant)
        )
        return rows[0] if rows else None

    async def get_customer(
        self, *, customer_id: str | None, email: str | None, tenant: str | None
    ) -> Row | None:
        if customer_id is not None:
            sql, params = "SELECT * FROM customers WHERE customer_id = ?", (customer_id,)
        elif email is not None:
            sql, params = "SELECT * FROM customers WHERE lower(email) = lower(?)", (email,)
        else:
            raise ValueError("customer_id or email is required")
        rows = self._query(*self._scope(sql, params, tenant))
        return rows[0] if rows else None

    async def search_kb(self, query: str, tenant: str | None, limit: int = 5) -> list[Row]:
        words = set(_WORD.findall(query.lower()))
        if not words:
            return []
        sql, params = self._scope("SELECT * FROM kb_articles WHERE 1 = 1", (), tenant)
        scored = []
        for row in self._query(sql, params):
            text = f"{row['title']} {row['body']}".lower()
            score = sum(word in text for word in words)
            if score:
                # Planted articles win ties: an attack scenario must reliably surface its document.
                scored.append((-score, -row["planted"], row["kb_id"], row))
        scored.sort(key=lambda item: item[:3])
        return [_public_article(item[3]) for item in scored[:limit]]

    async def add_document(self, tenant: str, title: str, body: str) -> Row:
        if tenant not in TENANTS:
            raise ValueError(f"unknown tenant {tenant!r}; known: {sorted(TENANTS)}")
        with self._lock:
            (count,) = self._db.execute(
                "SELECT count(*) FROM kb_articles WHERE planted = 1"
            ).fetchone()
            kb_id = f"KB-{tenant}-planted-{count + 1}"
            row = (kb_id, tenant, title, body, 1, canary(tenant, kb_id, self._seed))
            self._db.execute("INSERT OR REPLACE INTO kb_articles VALUES (?,?,?,?,?,?)", row)
        return {"kb_id": kb_id, "tenant": tenant, "title": title, "body": body, "canary": row[-1]}

    async def remove_planted(self) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM kb_articles WHERE planted = 1").rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _public_article(row: Row) -> Row:
    return {k: row[k] for k in ("kb_id", "tenant", "title", "body", "canary")}


def open_store(url: str | None = None, *, db: str = ":memory:", seed: int = 0) -> TenantStore:
    """The store a `--store URL` (or else `--db FILE`) names.

    `sqlite:///path/to.db` or `sqlite://` (in memory); `postgresql://tools@HOST/DB` opens the
    row-level-security store (`reference_agent.tools.store_postgres`; needs psycopg and the
    schema installed there).
    """
    if url is None:
        return SQLiteStore(db, seed=seed)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://").removeprefix("/") or ":memory:"
        return SQLiteStore(path, seed=seed)
    scheme = url.split(":", 1)[0]
    if scheme in ("postgresql", "postgres"):
        try:
            from reference_agent.tools.store_postgres import PostgresStore
        except ImportError as exc:  # psycopg is the optional `postgres` extra
            raise ValueError(f"the PostgreSQL store needs psycopg: {exc}") from exc
        return PostgresStore(url, seed=seed)
    raise ValueError(
        f"unsupported store URL scheme {scheme!r}; use sqlite:///FILE or postgresql://..."
    )
