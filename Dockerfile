# ucmock as a container image: a build stage, then a runtime stage that holds
# only the binary and the shared libraries it links (no compiler, no -dev
# packages), run as a non-root user.
#   docker build -t ucmock .
#   docker run -p 8080:8080 -v ucmock-data:/data ucmock
# Flags go after the image name (`docker run ... ucmock --credits 100`), or as
# UCMOCK_* environment variables (`-e UCMOCK_RATE_LIMIT=0`).

FROM debian:bookworm-slim AS build
WORKDIR /src
# The package list first, so a source change does not reinstall them.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN meson setup /build && meson compile -C /build ucmock && strip /build/ucmock

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libsqlite3-0 libjansson4 libsodium23 libexpat1 zlib1g libisal2 \
      libxxhash0 libcsv3 libunistring2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ucmock \
 && useradd --system --uid 10001 --gid ucmock --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin ucmock \
 && mkdir -p /data && chown ucmock:ucmock /data && chmod 0700 /data
COPY --from=build /build/ucmock /usr/local/bin/ucmock
# Numeric, so a runtime that insists on a non-root user can verify it.
USER 10001:10001
ENV UCMOCK_LISTEN=0.0.0.0:8080 UCMOCK_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# No curl in the image: the binary probes itself. (Moving UCMOCK_LISTEN off
# port 8080 needs a matching --health-cmd.)
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["ucmock", "--probe", "http://127.0.0.1:8080/healthz"]
# ucmock is PID 1 and handles SIGTERM itself: in-flight requests finish,
# running tasks are cancelled (resumed at the next start), exit status 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ucmock"]
