#!/usr/bin/env bash
# `make compose-test`: the compose stack for real, on a machine without any image registry.
#
#   bash deploy/compose-test.sh            # as root, from anywhere; the repository is this file's ../
#
# 1. host packages (docker.io, debootstrap) and Compose v2 (deploy/ci/compose-plugin.sh)
# 2. a Docker engine: the running one, else our own dockerd under $COMPOSE_WORK, stopped at the end
# 3. local images: a Debian base from debootstrap (deploy/ci/base-images.sh); pause, postgres and
#    prometheus on it; the real Toxiproxy 2.12.0 binary FROM scratch; a wheelhouse built on the
#    host (TLS to PyPI from inside a build is intercepted here); then the project's images
# 4. `docker compose up --wait` once: every container healthy, every published port on 127.0.0.1
# 5. `harness run --stack compose` on pod-crash, bad-deploy and the-47k-bill, both profiles: the
#    exit status is 0 only when each verdict is the scenario's `expect`; deploy/ci/check_runs.py
#    then checks each run directory holds the containers' evidence and prints the costs
# 6. always: `docker compose down -v` (containers, networks, volumes), our dockerd stopped
#
# Environment (all optional):
#   COMPOSE_WORK=/work/docker           images, build cache, wheelhouse, logs, reports (never in the repo)
#   COMPOSE_TIME_SCALE=1                --time-scale of the scenario runs
#   COMPOSE_SCENARIOS="scenarios/pod-crash.yaml scenarios/bad-deploy.yaml scenarios/the-47k-bill.yaml"
#   HARNESS_PYTHON=<repo>/.venv/bin/python   the host's Python with the harness installed
#   HARNESS_TOXIPROXY_SERVER=PATH       toxiproxy-server (toxiproxy-cli beside it), when not in
#                                       <repo>/../shared/toxiproxy/ (else /work/shared/toxiproxy/)
#   REBUILD_BASE=1                      redo the debootstrap base images
#   COMPOSE_CPU_SHARES=8192             CPU weight of our own dockerd's containers, together
#                                       (deploy/ci/dockerd.sh; 0 = Docker's default, 1024)
#   COMPOSE_IMAGES_ONLY=1               stop after step 3 (.ci/run builds the images while the
#                                       unit tests run, then runs the stack on a quiet machine)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${COMPOSE_WORK:-/work/docker}
TIME_SCALE=${COMPOSE_TIME_SCALE:-1}
SCENARIOS=${COMPOSE_SCENARIOS:-scenarios/pod-crash.yaml scenarios/bad-deploy.yaml scenarios/the-47k-bill.yaml}
PY=${HARNESS_PYTHON:-$REPO/.venv/bin/python}
PROJECT=agent-chaos
PORTS="8474 18000 28100 28101 28200 9090 8089"
export DEBIAN_FRONTEND=noninteractive COMPOSE_PROJECT_NAME=$PROJECT
case "$WORK/" in "$REPO"/*) echo "COMPOSE_WORK ($WORK) must be outside the repository" >&2; exit 2;; esac
[ "$(id -u)" = 0 ] || { echo "compose-test: run as root (apt-get, dockerd, debootstrap)" >&2; exit 2; }
[ -x "$PY" ] || { echo "compose-test: no Python at $PY (make compose-test creates .venv)" >&2; exit 2; }
mkdir -p "$WORK/logs"
# shellcheck source=deploy/ci/dockerd.sh
. "$REPO/deploy/ci/dockerd.sh"
# shellcheck source=deploy/ci/compose-plugin.sh
. "$REPO/deploy/ci/compose-plugin.sh"

T0=$(date +%s)
step_t=$T0
step() {
  local now; now=$(date +%s)
  echo "[compose-test] +$((now - step_t))s (at $((now - T0))s) $*"
  step_t=$now
}
compose() { docker compose --project-directory "$REPO" -f "$REPO/docker-compose.yml" -p "$PROJECT" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    compose --profile load --profile grafana down -v --remove-orphans >"$WORK/logs/down.log" 2>&1
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; \
           docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"; \
           docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
    if [ -n "$left" ]; then echo "compose-test: left behind after down -v: $left" >&2; [ "$rc" = 0 ] && rc=1; fi
  fi
  dockerd_down
  echo "[compose-test] exit $rc after $(( $(date +%s) - T0 ))s (logs: $WORK/logs)"
  exit "$rc"
}
trap cleanup EXIT

# -- 1. host tools ---------------------------------------------------------------------------
step "host packages: docker.io debootstrap"
missing=()
for pkg in docker.io debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- 2. engine and Compose v2 ------------------------------------------------------------------
step "Docker engine"
dockerd_up "$WORK"
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
step "Compose v2"
compose_v2 "$WORK"
docker compose version

# -- 3. images ---------------------------------------------------------------------------------
step "base images (debootstrap, once)"
bash "$REPO/deploy/ci/base-images.sh" "$WORK"

step "the real Toxiproxy 2.12.0 as local/toxiproxy:2.12.0"
if [ -n "${HARNESS_TOXIPROXY_SERVER:-}" ]; then
  server=$HARNESS_TOXIPROXY_SERVER
elif [ -x "$REPO/../shared/toxiproxy/toxiproxy-server" ]; then
  server=$REPO/../shared/toxiproxy/toxiproxy-server
else
  server=/work/shared/toxiproxy/toxiproxy-server
fi
[ -x "$server" ] && [ -x "$(dirname "$server")/toxiproxy-cli" ] || {
  echo "compose-test: no toxiproxy-server (+ toxiproxy-cli beside it) at $server;" \
       "set HARNESS_TOXIPROXY_SERVER" >&2; exit 2; }
"$server" -version | grep -q '2\.12\.0' || { echo "compose-test: $server is not 2.12.0" >&2; exit 2; }
ctx=$WORK/context/toxiproxy
rm -rf "$ctx"; mkdir -p "$ctx"
cp "$server" "$ctx/toxiproxy-server"; cp "$(dirname "$server")/toxiproxy-cli" "$ctx/toxiproxy-cli"
export DOCKER_BUILDKIT=0  # plain builds; no buildx plugin here (Compose has its own builder)
build() {  # build TAG DOCKERFILE CONTEXT
  docker build -q -t "$1" -f "$2" "$3" >>"$WORK/logs/build-local.log" 2>&1 \
    || { tail -30 "$WORK/logs/build-local.log"; exit 1; }
}
build local/toxiproxy:2.12.0 "$REPO/deploy/local/toxiproxy.Dockerfile" "$ctx"

step "local pause, postgres, prometheus"
build local/pause:3.10 "$REPO/deploy/local/pause.Dockerfile" "$REPO/deploy/local"
build local/postgres:15-bookworm "$REPO/deploy/local/postgres.Dockerfile" "$REPO/deploy/local"
build local/prometheus:bookworm "$REPO/deploy/local/prometheus.Dockerfile" "$REPO/deploy/local"

step "wheelhouse (pip wheel on the host) as an image"
req=$WORK/requirements.txt
"$PY" "$REPO/deploy/requirements.py" "$REPO/pyproject.toml" postgres > "$req"
# The build backend too: images install the project itself offline.
"$PY" -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"]))' \
  "$REPO/pyproject.toml" >> "$req"
key=$( (cat "$req"; "$PY" -c 'import sys; print(sys.version_info[:2])') | sha256sum | cut -c1-12)
wheels=$WORK/wheels/$key
if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels"; mkdir -p "$wheels"
  "$PY" -m pip wheel -q --wheel-dir "$wheels" -r "$req" >"$WORK/logs/pip-wheel.log" 2>&1 \
    || { tail -30 "$WORK/logs/pip-wheel.log"; exit 1; }
  touch "$wheels/.complete"
fi
docker image inspect "local/wheelhouse:$key" >/dev/null 2>&1 \
  || build "local/wheelhouse:$key" "$REPO/deploy/local/wheelhouse.Dockerfile" "$wheels"
unset DOCKER_BUILDKIT

export POD_IMAGE=local/pause:3.10 TOXIPROXY_IMAGE=local/toxiproxy:2.12.0 \
  POSTGRES_IMAGE=local/postgres:15-bookworm PROMETHEUS_IMAGE=local/prometheus:bookworm \
  PYTHON_BASE_IMAGE=local/bookworm-python:3.11 WHEELHOUSE_IMAGE=local/wheelhouse:$key \
  PIP_OPTIONS="--no-index --find-links /wheelhouse/wheels"
step "the project's images (docker compose build)"
compose config --no-interpolate --quiet   # the file stays valid for tools that do not interpolate
compose build >"$WORK/logs/compose-build.log" 2>&1 || { tail -40 "$WORK/logs/compose-build.log"; exit 1; }
if [ "${COMPOSE_IMAGES_ONLY:-0}" = 1 ]; then
  step "images built (COMPOSE_IMAGES_ONLY=1: no stack, no scenarios)"
  exit 0
fi

# -- 4. the stack once, by hand ----------------------------------------------------------------
step "docker compose up -d --wait"
for port in $PORTS; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "compose-test: 127.0.0.1:$port is taken; the stack publishes it" >&2; exit 1
  fi
done
compose up -d --wait >"$WORK/logs/up.log" 2>&1 || { tail -30 "$WORK/logs/up.log"; compose ps -a; exit 1; }
compose ps --format '{{.Service}}: {{.Status}}'
bound=$(docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Ports}}' \
        | tr ',' '\n' | sed -n 's/^ *\([^ ]*\):[0-9]*->.*/\1/p' | sort -u | tr '\n' ' ')
echo "published on: $bound"
[ "$bound" = "127.0.0.1 " ] || { echo "compose-test: ports published beyond 127.0.0.1: $bound" >&2; exit 1; }
compose down -v >"$WORK/logs/down-smoke.log" 2>&1

# -- 5. scenarios ----------------------------------------------------------------------------------
out=$WORK/reports/$(date +%Y%m%d-%H%M%S)
step "harness run --stack compose ($SCENARIOS, both profiles, time scale $TIME_SCALE) -> $out"
rc=0
# shellcheck disable=SC2086
(cd "$REPO" && "$PY" -m harness run $SCENARIOS --profile all --stack compose \
   --time-scale "$TIME_SCALE" --out "$out" --quiet --no-report) || rc=$?
step "run directories: verdicts, evidence, costs"
"$PY" "$REPO/deploy/ci/check_runs.py" "$out" || rc=$((rc ? rc : 1))
step "done (harness exit $rc)"
exit "$rc"
