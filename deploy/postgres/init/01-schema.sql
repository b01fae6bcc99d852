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
