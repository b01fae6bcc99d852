# Sourced by deploy/compose-test.sh: make `docker compose` (v2) available.
#
#   compose_v2 WORK   # exports DOCKER_CONFIG=WORK/docker-config when it installs the plugin there
#
# Debian bookworm ships only docker-compose 1.29 (which cannot read this project's file); trixie's
# `docker-compose` package is Compose v2 as a static CLI plugin. It is downloaded with apt from a
# private list of sources (trixie is never added to the system's), unpacked, and the CLI finds it
# through DOCKER_CONFIG/cli-plugins.
compose_v2() {
  local work=$1
  if docker compose version >/dev/null 2>&1; then
    return 0
  fi
  export DOCKER_CONFIG=$work/docker-config
  if docker compose version >/dev/null 2>&1; then
    return 0
  fi
  local apt=$work/apt-trixie mirror
  mirror=$(sed -n 's#^URIs: *\(http[^ ]*/debian\)/*$#\1#p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb" \
    "$DOCKER_CONFIG/cli-plugins"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "${mirror%/}" > "$apt/sources/trixie.sources"
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/sources"
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
  echo "compose: fetching Compose v2 (trixie's docker-compose package) as a CLI plugin"
  apt-get "${opts[@]}" update -qq
  (cd "$apt/deb" && apt-get "${opts[@]}" download -qq docker-compose/trixie)
  local deb
  deb=$(ls "$apt"/deb/docker-compose_2*.deb | head -1)
  dpkg-deb -x "$deb" "$apt/unpacked"
  install -m 0755 "$apt/unpacked/usr/libexec/docker/cli-plugins/docker-compose" "$DOCKER_CONFIG/cli-plugins/"
  docker compose version
}
