# The fake Anthropic Messages API (one image, two services: region us on 8100, eu on 8101).
# Also the image of the Locust master and workers (the harness's locustfile is installed).
FROM python:3.11.9-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY harness ./harness
COPY reference_agent ./reference_agent
RUN pip install --no-cache-dir . && mkdir -p /data && chown nobody /data
USER nobody
ENV LLM_PORT=8100 LLM_REGION=us SEED=1
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${LLM_PORT}/_control/health', timeout=2)"
CMD ["sh", "-c", "exec harness serve fake-llm --host 127.0.0.1 --port \"$LLM_PORT\" --region \"$LLM_REGION\" --seed \"$SEED\" --ledger /data/llm_calls.$LLM_REGION.jsonl"]
