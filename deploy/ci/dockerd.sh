# Sourced by deploy/compose-test.sh: use the Docker engine that runs, else start one of our own.
#
#   dockerd_up WORK   # sets DOCKER_HOST to our socket when it starts a daemon
#   dockerd_down      # stops only the daemon dockerd_up started (by its pid)
#
# Our daemon keeps everything under WORK (outside the repository): images and the build cache in
# WORK/docker/data survive between runs, which is what makes a warm run fast.
#
# CPU: cgroupfs puts every container of the daemon under one parent cgroup, and the kernel's
# scheduler weighs that parent as ONE group against each host session (autogroup). On a machine
# shared with many busy sessions the whole stack then got ~0.3 of a core, and pod-crash hardened
# missed its p99 (docs/compose.md, "CPU"). Our daemon's containers go under their own parent,
# $DOCKERD_CGROUP, weighted COMPOSE_CPU_SHARES (default 8192: 1024, one session's weight, for
# each of the stack's 8 services, i.e. what they would weigh as processes of their own;
# 0 = Docker's default). A running engine is used as it is.
DOCKERD_PID=
DOCKERD_CGROUP=agent-chaos-compose

# Prints the dockerd options that put containers under the weighted parent, or nothing.
dockerd_cgroup_opts() {
  local shares=${COMPOSE_CPU_SHARES:-8192} root=${CGROUP_ROOT:-/sys/fs/cgroup}
  [ "$shares" -gt 0 ] 2>/dev/null || return 0
  if [ -f "$root/cgroup.controllers" ]; then  # cgroup v2: cpu.weight 1..10000, 100 = 1024 shares
    echo +cpu > "$root/cgroup.subtree_control" 2>/dev/null || true
    mkdir -p "$root/$DOCKERD_CGROUP" 2>/dev/null \
      && echo $(( shares * 100 / 1024 )) > "$root/$DOCKERD_CGROUP/cpu.weight" 2>/dev/null
  else
    mkdir -p "$root/cpu/$DOCKERD_CGROUP" 2>/dev/null \
      && echo "$shares" > "$root/cpu/$DOCKERD_CGROUP/cpu.shares" 2>/dev/null
  fi || { echo "dockerd: cannot weight $root/.../$DOCKERD_CGROUP; Docker's default CPU weight" >&2; return 0; }
  echo "--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /$DOCKERD_CGROUP"
}

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
  local cgroup_opts
  cgroup_opts=$(dockerd_cgroup_opts)
  # shellcheck disable=SC2086
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --host "$DOCKER_HOST" $cgroup_opts >"$work/logs/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  [ -z "$cgroup_opts" ] || echo "dockerd: containers under /$DOCKERD_CGROUP, CPU weight of ${COMPOSE_CPU_SHARES:-8192} shares"
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
  rmdir /sys/fs/cgroup/*/"$DOCKERD_CGROUP" /sys/fs/cgroup/"$DOCKERD_CGROUP" 2>/dev/null || true
}
