# The reference agent. Binds 127.0.0.1:8000 inside the pod's network namespace; load reaches
# it through Toxiproxy's `agent` proxy. Flags: AGENT_PROFILE, AGENT_FLAGS ("--set k=v ...").
FROM python:3.11.9-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY reference_agent ./reference_agent
RUN pip install --no-cache-dir '.[postgres]'
USER nobody
ENV AGENT_PROFILE=hardened AGENT_FLAGS=""
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["sh", "-c", "exec python -m reference_agent --profile \"$AGENT_PROFILE\" --host 127.0.0.1 --port 8000 --tools-url http://127.0.0.1:18003 --llm-eu-url http://127.0.0.1:18002 $AGENT_FLAGS"]
