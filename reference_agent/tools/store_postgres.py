"""The tenant store on PostgreSQL with row-level security (the book's chapter 4 defence).

The database, not the code, decides which rows a query sees. The tool server logs in as
`tools` (no superuser, no BYPASSRLS, NOINHERIT: on its own it can read nothing) and each
transaction takes one of three group roles with `SET LOCAL ROLE`:

  tools_tenant  scoped reads (hardened: the request carried `x-tenant-id`). The transaction
                sets `app.tenant` with `set_config(..., true)`; the policy on every table
                admits only rows whose `tenant` equals it, so a query that forgot its WHERE
                clause still sees one tenant. No `app.tenant`: no rows at all.
  tools_naive   unscoped reads (naive: no header). Its policy admits every row: the chapter 1
                bug, kept on purpose so the naive profile can leak.
  tools_admin   owner of the tables; seeding and the harness's planted-document control API.

The SQL of every read carries no tenant condition: scoping is entirely the policies' job,
which is what the tests prove. `SCHEMA_SQL` is idempotent; `deploy/postgres/` holds the same
text for the compose stack's init scripts (a test keeps the two equal).
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import psycopg
from psycopg.rows import dict_row

from reference_agent.tenants import TENANTS, canary
from reference_agent.tools.store import _seed_rows

__all__ = ["SCHEMA_SQL", "PostgresStore", "install_schema"]

Row = dict[str, Any]
Role = Literal["tools_tenant", "tools_naive", "tools_admin"]
T = TypeVar("T")

SCHEMA_SQL = """\
-- Tenant store with row-level security. Run as a superuser (or a role with CREATEROLE and
-- ownership of the database); idempotent.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tools_admin') THEN
    CREATE ROLE tools_admin NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tools_tenant') THEN
    CREATE ROLE tools_tenant NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tools_naive') THEN
    CREATE ROLE tools_naive NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tools') THEN
    -- NOINHERIT: the login role holds no privilege until it takes a group role.
    CREATE ROLE tools LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
GRANT tools_admin, tools_tenant, tools_naive TO tools;
GRANT USAGE ON SCHEMA public TO tools_admin, tools_tenant, tools_naive;

CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL,
    email TEXT NOT NULL, phone TEXT NOT NULL, canary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, customer_id TEXT NOT NULL,
    status TEXT NOT NULL, item TEXT NOT NULL, total_usd DOUBLE PRECISION NOT NULL,
    created TEXT NOT NULL, canary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kb_articles (
    kb_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
    planted INTEGER NOT NULL DEFAULT 0, canary TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS customers_email ON customers (lower(email));
CREATE INDEX IF NOT EXISTS customers_tenant ON customers (tenant);
CREATE INDEX IF NOT EXISTS orders_tenant ON orders (tenant);
CREATE INDEX IF NOT EXISTS kb_tenant ON kb_articles (tenant);

ALTER TABLE customers OWNER TO tools_admin;
ALTER TABLE orders OWNER TO tools_admin;
ALTER TABLE kb_articles OWNER TO tools_admin;
-- FORCE: the policies bind the owner too; nobody but a superuser reads around them.
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE kb_articles ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_articles FORCE ROW LEVEL SECURITY;

GRANT SELECT ON customers, orders, kb_articles TO tools_tenant, tools_naive;

DROP POLICY IF EXISTS tenant_isolation ON customers;
DROP POLICY IF EXISTS tenant_isolation ON orders;
DROP POLICY IF EXISTS tenant_isolation ON kb_articles;
CREATE POLICY tenant_isolation ON customers TO tools_tenant
    USING (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_isolation ON orders TO tools_tenant
    USING (tenant = current_setting('app.tenant', true));
CREATE POLICY tenant_isolation ON kb_articles TO tools_tenant
    USING (tenant = current_setting('app.tenant', true));

-- The naive demo's bug, on purpose: an unscoped role that reads every tenant's rows.
DROP POLICY IF EXISTS naive_reads_all ON customers;
DROP POLICY IF EXISTS naive_reads_all ON orders;
DROP POLICY IF EXISTS naive_reads_all ON kb_articles;
CREATE POLICY naive_reads_all ON customers FOR SELECT TO tools_naive USING (true);
CREATE POLICY naive_reads_all ON orders FOR SELECT TO tools_naive USING (true);
CREATE POLICY naive_reads_all ON kb_articles FOR SELECT TO tools_naive USING (true);

DROP POLICY IF EXISTS admin_maintains ON customers;
DROP POLICY IF EXISTS admin_maintains ON orders;
DROP POLICY IF EXISTS admin_maintains ON kb_articles;
CREATE POLICY admin_maintains ON customers TO tools_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_maintains ON orders TO tools_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_maintains ON kb_articles TO tools_admin USING (true) WITH CHECK (true);
"""

_WORD = re.compile(r"[a-z0-9]{3,}")
_ARTICLE_FIELDS = ("kb_id", "tenant", "title", "body", "canary")


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def install_schema(admin_url: str) -> None:
    """Create the roles, tables and policies (connect as a superuser). Idempotent."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)


class PostgresStore:
    """`TenantStore` over PostgreSQL with RLS; `url` logs in as the `tools` role.

    Queries are blocking psycopg calls run in worker threads (`asyncio.to_thread`) over a
    small pool of connections, so the event loop never waits on the database and no
    connection is tied to one loop. The seed data is (re)written on open, idempotently.
    """

    def __init__(self, url: str, *, seed: int = 0, pool_size: int = 4) -> None:
        self._url = url
        self._seed = seed
        self._pool: queue.LifoQueue[psycopg.Connection[Row]] = queue.LifoQueue()
        self._all: list[psycopg.Connection[Row]] = []
        self._lock = threading.Lock()
        self._closed = False
        try:
            for _ in range(pool_size):
                conn = psycopg.connect(url, row_factory=dict_row, connect_timeout=5)
                self._all.append(conn)
                self._pool.put(conn)
            self._seed_data()
        except psycopg.Error as exc:
            self.close()
            # A ValueError, like any other unusable --store URL (the CLI exits 2 on it).
            raise ValueError(f"cannot use the PostgreSQL store at {_redact(url)}: "
                             f"{str(exc).strip()}") from exc

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _tx(self, role: Role, tenant: str | None = None) -> Iterator[psycopg.Connection[Row]]:
        """One transaction as `role`; `app.tenant` set for its duration when given."""
        conn = self._pool.get()
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")  # a constant from `Role`, never input
                if tenant is not None:
                    conn.execute("SELECT set_config('app.tenant', %s, true)", (tenant,))
                yield conn
        finally:
            self._pool.put(conn)

    def _read(self, sql: str, params: tuple[Any, ...], tenant: str | None) -> list[Row]:
        # Scoped: the tenant role and app.tenant; unscoped: the naive role. Same SQL either way.
        role: Role = "tools_naive" if tenant is None else "tools_tenant"
        with self._tx(role, tenant) as conn:
            return list(conn.execute(sql, params).fetchall())

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    def _seed_data(self) -> None:
        customers, orders, articles = _seed_rows(self._seed)
        with self._tx("tools_admin") as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO customers VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (customer_id) "
                "DO UPDATE SET tenant = EXCLUDED.tenant, name = EXCLUDED.name, "
                "email = EXCLUDED.email, phone = EXCLUDED.phone, canary = EXCLUDED.canary",
                customers)
            cur.executemany(
                "INSERT INTO orders VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (order_id) "
                "DO UPDATE SET tenant = EXCLUDED.tenant, customer_id = EXCLUDED.customer_id, "
                "status = EXCLUDED.status, item = EXCLUDED.item, total_usd = EXCLUDED.total_usd, "
                "created = EXCLUDED.created, canary = EXCLUDED.canary",
                orders)
            cur.executemany(
                "INSERT INTO kb_articles VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (kb_id) "
                "DO UPDATE SET tenant = EXCLUDED.tenant, title = EXCLUDED.title, "
                "body = EXCLUDED.body, planted = EXCLUDED.planted, canary = EXCLUDED.canary",
                articles)

    # -- TenantStore ----------------------------------------------------------------------

    async def get_order(self, order_id: str, tenant: str | None) -> Row | None:
        rows = await self._run(self._read, "SELECT * FROM orders WHERE order_id = %s",
                               (order_id,), tenant)
        return rows[0] if rows else None

    async def get_customer(
        self, *, customer_id: str | None, email: str | None, tenant: str | None
    ) -> Row | None:
        if customer_id is not None:
            sql, params = "SELECT * FROM customers WHERE customer_id = %s", (customer_id,)
        elif email is not None:
            sql, params = "SELECT * FROM customers WHERE lower(email) = lower(%s)", (email,)
        else:
            raise ValueError("customer_id or email is required")
        rows = await self._run(self._read, sql, params, tenant)
        return rows[0] if rows else None

    async def search_kb(self, query: str, tenant: str | None, limit: int = 5) -> list[Row]:
        words = set(_WORD.findall(query.lower()))
        if not words:
            return []
        rows = await self._run(self._read, "SELECT * FROM kb_articles", (), tenant)
        scored = []
        for row in rows:
            text = f"{row['title']} {row['body']}".lower()
            score = sum(word in text for word in words)
            if score:
                # Planted articles win ties, as in the SQLite store.
                scored.append((-score, -row["planted"], row["kb_id"], row))
        scored.sort(key=lambda item: item[:3])
        return [{k: item[3][k] for k in _ARTICLE_FIELDS} for item in scored[:limit]]

    def _add(self, tenant: str, title: str, body: str) -> Row:
        with self._tx("tools_admin") as conn:
            # Serialise numbering: two plants at once must not pick the same id.
            conn.execute("LOCK TABLE kb_articles IN SHARE ROW EXCLUSIVE MODE")
            row = conn.execute("SELECT count(*) AS n FROM kb_articles WHERE planted = 1").fetchone()
            kb_id = f"KB-{tenant}-planted-{(row or {'n': 0})['n'] + 1}"
            mark = canary(tenant, kb_id, self._seed)
            conn.execute(
                "INSERT INTO kb_articles VALUES (%s,%s,%s,%s,1,%s) ON CONFLICT (kb_id) DO UPDATE "
                "SET title = EXCLUDED.title, body = EXCLUDED.body, canary = EXCLUDED.canary",
                (kb_id, tenant, title, body, mark))
        return {"kb_id": kb_id, "tenant": tenant, "title": title, "body": body, "canary": mark}

    async def add_document(self, tenant: str, title: str, body: str) -> Row:
        if tenant not in TENANTS:
            raise ValueError(f"unknown tenant {tenant!r}; known: {sorted(TENANTS)}")
        return await self._run(self._add, tenant, title, body)

    def _remove(self) -> int:
        with self._tx("tools_admin") as conn:
            return conn.execute("DELETE FROM kb_articles WHERE planted = 1").rowcount

    async def remove_planted(self) -> int:
        return await self._run(self._remove)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for conn in self._all:
            conn.close()
