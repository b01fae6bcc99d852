# Sourced by deploy/compose-test.sh: use the Docker engine that runs, else start one of our own.
#
#   dockerd_up WORK   # sets DOCKER_HOST to our socket when it starts a daemon
#   dockerd_down      # stops only the daemon dockerd_up started (by its pid)
#
# Our daemon keeps everything under WORK (outside the repository): images and the build cache in
# WORK/docker/data survive between runs, which is what makes a warm run fast.
DOCKERD_PID=

dockerd_up() {
  local work=$1
  if docker info >/dev/null 2>&1; then
    echo "dockerd: using the running engine (${DOCKER_HOST:-unix:///var/run/docker.sock})"
    return 0
  fi
  local dir=$work/docker sock=$work/docker/docker.sock
  mkdir -p "$dir/data" "$dir/exec" "$work/logs"
  export DOCKER_HOST=unix://$sock
  if docker info >/dev/null 2>&1; then  # a daemon of an earlier run that was not stopped
    echo "dockerd: using the engine at $DOCKER_HOST"
    return 0
  fi
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "$DOCKER_HOST" >"$work/logs/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local _
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && { echo "dockerd: started pid $DOCKERD_PID on $DOCKER_HOST"; return 0; }
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  echo "dockerd: did not come up; last lines of $work/logs/dockerd.log:" >&2
  tail -20 "$work/logs/dockerd.log" >&2
  return 1
}

dockerd_down() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill -TERM "$DOCKERD_PID" 2>/dev/null || return 0
  local _
  for _ in $(seq 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID"
  wait "$DOCKERD_PID" 2>/dev/null || true
  echo "dockerd: stopped pid $DOCKERD_PID"
  DOCKERD_PID=
}
