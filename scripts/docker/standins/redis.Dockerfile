# Stand-in for redis:7-alpine (see scripts/docker/local-base-images.sh).
ARG BASE_IMAGE=horn-standin/debian:bookworm-slim
FROM ${BASE_IMAGE}
LABEL org.horn.standin=1 \
      org.horn.standin.replaces=redis:7-alpine \
      org.horn.standin.contents="Debian bookworm redis-server 7.0"
# The user first, with the official image's uid, so the package's postinst keeps it.
RUN groupadd --system --gid 999 redis \
    && useradd --system --uid 999 --gid redis --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin redis \
    && apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir /data \
    && chown redis:redis /data \
    && redis-server --version
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
