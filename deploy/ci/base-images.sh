#!/usr/bin/env bash
# Local base images without a registry: Debian bookworm from debootstrap, `docker import`ed.
#
#   bash deploy/ci/base-images.sh WORK     # as root; Docker reachable (DOCKER_HOST or the socket)
#
#   local/bookworm-python:3.11  minbase + python3 (3.11) + a venv on PATH at /opt/venv
#                               (BASE_IMAGE of deploy/*.Dockerfile; `pip install` needs the venv: PEP 668)
#   local/bookworm-svc:12       the above + postgresql-15, prometheus, wget (deploy/local/*)
#
# An image that exists is kept (REBUILD_BASE=1 redoes it): a new import is a new image id, which
# would invalidate every cached layer built on it. Packages come from the host's Debian mirror
# through chroot (the host's network, not a container's).
set -euo pipefail
WORK=${1:?usage: base-images.sh WORK}
PY_IMAGE=${LOCAL_PYTHON_IMAGE:-local/bookworm-python:3.11}
SVC_IMAGE=${LOCAL_SVC_IMAGE:-local/bookworm-svc:12}
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$WORK/logs"

have() { docker image inspect "$1" >/dev/null 2>&1; }
if [ -z "${REBUILD_BASE:-}" ] && have "$PY_IMAGE" && have "$SVC_IMAGE"; then
  echo "base images: $PY_IMAGE and $SVC_IMAGE exist (REBUILD_BASE=1 rebuilds)"
  exit 0
fi

# The mirror this host uses (deb822 or one-line sources), else Debian's CDN.
mirror=$(sed -n 's#^URIs: *\(http[^ ]*/debian\)/*$#\1#p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' \
  /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

mounted=()
cleanup() { for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done; }
trap cleanup EXIT

in_chroot_apt() {  # in_chroot_apt ROOTFS PACKAGE...
  local root=$1; shift
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"; mounted+=("$root/proc")
  chroot "$root" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $*"
  chroot "$root" sh -c 'apt-get clean && rm -rf /var/lib/apt/lists/*'
  umount "$root/proc"
  : > "$root/etc/resolv.conf"
}

import() {  # import ROOTFS IMAGE DESCRIPTION [--change ...]
  local root=$1 image=$2 what=$3; shift 3
  rm -rf "${root:?}/tmp/"* "$root"/var/cache/apt/*.bin
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV LANG=C.UTF-8' --change 'ENV PIP_DISABLE_PIP_VERSION_CHECK=1' \
    --change "LABEL org.opencontainers.image.description=\"$what\"" "$@" - "$image" >/dev/null
  echo "base images: imported $image"
}

root=$WORK/rootfs
rm -rf "$root" "$root-svc"
echo "base images: debootstrap bookworm from $mirror (minutes)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >"$WORK/logs/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/logs/debootstrap.log"; exit 1; }
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
  "$mirror" "$mirror" "$mirror" > "$root/etc/apt/sources.list"
# No service may start inside a chroot or an image build.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
chroot "$root" python3 -m venv /opt/venv
PATH_ENV='ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

cp -a "$root" "$root-svc"
import "$root" "$PY_IMAGE" "Debian bookworm minbase + python3 + venv /opt/venv (debootstrap, local)" \
  --change "$PATH_ENV" --change 'CMD ["python3"]'

echo "base images: postgresql-15 prometheus wget (chroot apt-get)"
mkdir -p "$root-svc/etc/postgresql-common"
echo 'create_main_cluster = false' > "$root-svc/etc/postgresql-common/createcluster.conf"
in_chroot_apt "$root-svc" postgresql-15 prometheus wget >"$WORK/logs/base-svc.log" 2>&1 \
  || { tail -30 "$WORK/logs/base-svc.log"; exit 1; }
import "$root-svc" "$SVC_IMAGE" "Debian bookworm minbase + postgresql-15 + prometheus + wget (local)" \
  --change "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
rm -rf "$root" "$root-svc"
