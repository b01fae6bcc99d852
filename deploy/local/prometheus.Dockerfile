# Prometheus from Debian (PROMETHEUS_IMAGE; bookworm has 2.42, compose pins v2.53.2) where
# Docker Hub is out of reach. Same entrypoint and user as prom/prometheus.
ARG BASE_IMAGE=local/bookworm-svc:12
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.description="Debian prometheus (2.42 on bookworm), local image"
RUN mkdir -p /prometheus /etc/prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
