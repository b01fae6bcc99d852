# The MCP tool server over the tenant store (PostgreSQL with row-level security in compose).
FROM python:3.11.9-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY reference_agent ./reference_agent
RUN pip install --no-cache-dir '.[postgres]' && mkdir -p /data && chown nobody /data
USER nobody
ENV TOOLS_STORE=sqlite:// SEED=1
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8200/healthz', timeout=2)"
CMD ["sh", "-c", "exec python -m reference_agent.tools --host 127.0.0.1 --port 8200 --seed \"$SEED\" --store \"$TOOLS_STORE\" --log /data/tool_calls.jsonl"]
