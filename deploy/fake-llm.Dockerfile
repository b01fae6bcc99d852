# The fake Anthropic Messages API (one image, two services: region us on 8100, eu on 8101).
# Also the image of the Locust master and workers (the harness's locustfile is installed).
ARG BASE_IMAGE=python:3.11.9-slim-bookworm
# Where no package index is reachable, WHEELHOUSE_IMAGE is an image with wheels in /wheels and
# PIP_OPTIONS="--no-index --find-links /wheelhouse/wheels" (deploy/compose-test.sh does that).
ARG WHEELHOUSE_IMAGE=scratch
FROM ${WHEELHOUSE_IMAGE} AS wheelhouse
FROM ${BASE_IMAGE}
ARG PIP_OPTIONS=""
WORKDIR /app
# The three images share these layers (same lines, same order): the dependencies are installed
# once, before the source, so a code change reinstalls only the project itself.
COPY pyproject.toml deploy/requirements.py ./
RUN --mount=type=bind,from=wheelhouse,target=/wheelhouse \
    python requirements.py pyproject.toml postgres > requirements.txt \
 && pip install --no-cache-dir $PIP_OPTIONS -r requirements.txt
COPY deploy/healthcheck.sh /usr/local/bin/healthcheck
COPY README.md ./
COPY harness ./harness
COPY reference_agent ./reference_agent
RUN --mount=type=bind,from=wheelhouse,target=/wheelhouse \
    pip install --no-cache-dir --no-deps $PIP_OPTIONS . && mkdir -p /data && chown nobody /data
USER nobody
ENV LLM_PORT=8100 LLM_REGION=us SEED=1
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=6 \
  CMD healthcheck "$LLM_PORT" /_control/health
CMD ["sh", "-c", "exec harness serve fake-llm --host 127.0.0.1 --port \"$LLM_PORT\" --region \"$LLM_REGION\" --seed \"$SEED\" --ledger /data/llm_calls.$LLM_REGION.jsonl"]
