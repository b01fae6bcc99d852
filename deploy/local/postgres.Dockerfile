# PostgreSQL 15 from Debian (POSTGRES_IMAGE) where Docker Hub is out of reach. The entrypoint
# does what docker-compose.yml uses of the official postgres image: POSTGRES_USER/PASSWORD/DB
# and, on an empty data directory, every /docker-entrypoint-initdb.d/*.sql and *.sh.
ARG BASE_IMAGE=local/bookworm-svc:12
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.description="Debian postgresql-15 with a minimal official-image-like entrypoint, local image"
ENV PGDATA=/var/lib/postgresql/data
RUN mkdir -p "$PGDATA" /var/run/postgresql /docker-entrypoint-initdb.d \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 "$PGDATA" && chmod 2775 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
