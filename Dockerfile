# One image with every shopstream binary; the container's command picks the
# service (see docker-compose.yml and deploy/k8s/).
#   docker build -t shopstream:dev .

# Build stage: the same Debian packages as `make build`, from the one list
# in scripts/debian-packages.txt (--build-only leaves out test tools).
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/debian-packages.txt scripts/install-deps.sh scripts/
RUN ./scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
# Node.js and npm for the web root (target www: the dashboard, t.js, the
# OpenAPI document's reference page). The dashboard and the tracker need
# Node.js 20 (their engines); Debian 12 has 18. Only the build uses it.
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j"$(nproc)" --target \
      shopstream-gateway shopstream-ingest shopstream-query \
      shopstream-processor shopstream-health-probe shopstream-admin www \
 && mkdir -p /out/bin \
 && cp /build/bin/shopstream-gateway /build/bin/shopstream-ingest \
      /build/bin/shopstream-query /build/bin/shopstream-processor \
      /build/bin/shopstream-health-probe /build/bin/shopstream-admin /out/bin/ \
 && strip --strip-debug /out/bin/* \
 && ./scripts/runtime-packages.sh /out/bin/* > /out/runtime-packages.txt

# Runtime stage: only the packages that hold the libraries the binaries
# load, as found by scripts/runtime-packages.sh on the binaries themselves.
FROM debian:bookworm-slim AS runtime
COPY --from=build /out/runtime-packages.txt /usr/share/shopstream/runtime-packages.txt
# tzdata: the query service loads IANA time zones for analytics buckets
# from files, not libraries, so ldd cannot see it. uap-core likewise: ingest
# reads its regexes.yaml (--uap_regexes) for browser and OS families; RE2
# and yaml-cpp, which read it, are libraries and in the list. chromium and
# fonts-dejavu-core: the query service prints PDF reports with headless
# Chromium, a program it starts (--chromium_path), so ldd cannot see it
# either; without them reports answer UNAVAILABLE and all else works.
RUN apt-get update \
 && xargs -a /usr/share/shopstream/runtime-packages.txt \
      apt-get install -y --no-install-recommends tzdata uap-core \
        chromium fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin shopstream \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/shopstream/secrets
COPY --from=build /out/bin/ /usr/local/bin/
# The gateway serves it with SHOPSTREAM_STATIC_DIR (compose, Kubernetes):
# the dashboard at /, /t.js, /v1/openapi.json and /docs/api/.
COPY --from=build /build/www/ /usr/share/shopstream/www/
# /var/lib/shopstream/secrets: a volume mounted there (compose's
# service-token) starts as this directory, owned by the service user.
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 8080 50051 50052 50053 9100 9101 9102 9103
CMD ["shopstream-gateway"]
