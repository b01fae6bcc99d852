# Stand-in for registry.k8s.io/pause (POD_IMAGE): owns the pod's network namespace and does
# nothing else. Built from the local base because there is no pause binary without a registry.
ARG BASE_IMAGE=local/bookworm-python:3.11
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.description="local stand-in for registry.k8s.io/pause: a shell that sleeps"
CMD ["sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"]
