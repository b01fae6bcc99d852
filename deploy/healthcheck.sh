#!/bin/bash
# healthcheck PORT [PATH]: exit 0 when 127.0.0.1:PORT accepts a connection and, given PATH,
# answers `GET PATH` with HTTP 200. The HEALTHCHECK of the project's images (installed as
# /usr/local/bin/healthcheck). Bash alone on purpose: a `python -c "urllib..."` check costs
# ~0.25 s of CPU per probe (interpreter start-up and imports), every 5 s in four containers;
# on a loaded machine that was half of all the CPU the compose stack got (docs/compose.md).
set -u
port=${1:?usage: healthcheck PORT [PATH]}
path=${2:-}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
[ -n "$path" ] || exit 0
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 || exit 1
read -r -t 2 status <&3 || exit 1
case $status in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "healthcheck: $path on port $port: ${status%$'\r'}" >&2; exit 1 ;;
esac
