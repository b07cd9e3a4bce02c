# Stand-in for postgres:16-alpine (see scripts/docker/local-base-images.sh). Debian bookworm
# ships PostgreSQL 15; Horn's schema and its pg_dump/pg_restore backups work on both.
ARG BASE_IMAGE=horn-standin/debian:bookworm-slim
FROM ${BASE_IMAGE}
LABEL org.horn.standin=1 \
      org.horn.standin.replaces=postgres:16-alpine \
      org.horn.standin.contents="Debian bookworm postgresql-15"
ENV PG_MAJOR=15 \
    LANG=C.UTF-8 \
    PGDATA=/var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH
# The user first, with the Alpine image's uid and gid (70), so the packages keep it; no
# cluster at install time (the entrypoint makes one in $PGDATA); listen on every address.
RUN groupadd --system --gid 70 postgres \
    && useradd --system --uid 70 --gid postgres --home-dir /var/lib/postgresql \
        --no-create-home --shell /bin/bash postgres \
    && mkdir -p /var/lib/postgresql /etc/postgresql-common/createcluster.d \
    && chown postgres:postgres /var/lib/postgresql \
    && echo 'create_main_cluster = false' \
        >/etc/postgresql-common/createcluster.d/horn-standin.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}" \
    && rm -rf /var/lib/apt/lists/* \
    && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
        "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample" \
    && grep -F "listen_addresses = '*'" "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample" \
    && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql "$PGDATA" \
    && chown postgres:postgres /var/run/postgresql "$PGDATA" \
    && chmod 3777 /var/run/postgresql \
    && chmod 1777 "$PGDATA" \
    && for tool in postgres initdb pg_ctl psql pg_isready pg_dump pg_restore; do \
        command -v "$tool"; done
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
