#!/bin/sh
# The tool server's login role gets its password from the environment (never from git).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "ALTER ROLE tools PASSWORD '${TOOLS_DB_PASSWORD:?set TOOLS_DB_PASSWORD}'"
