# One image per service: docker build --build-arg SERVICE=users --build-arg VERSION=1.2.3 -t shop/users .
# Stage 1 compiles the service with the Bun version pinned in package.json (installed from npm by the
# same bootstrap a newcomer uses); stage 2 is a slim runtime holding only the binary.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so they stay cached while only sources change.
COPY package.json bun.lock bunfig.toml ./
# bun install applies these to dependencies (package.json patchedDependencies)
COPY patches patches
COPY scripts/bun.mjs scripts/bun.mjs
RUN node scripts/bun.mjs --version
COPY . .
ARG SERVICE=users
# No .git in the build context: the version comes from this argument (else a VERSION file, else 0.0.0-dev).
ARG VERSION=
RUN VERSION="${VERSION}" node scripts/bun.mjs run build "${SERVICE}" \
 && mkdir -p /out \
 && cp dist/"${SERVICE}"-*-linux-x64 /out/service \
 && /out/service --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/service /usr/local/bin/service
# The binary ignores .env and bunfig.toml; configuration comes from the environment and flags.
ENV PORT=8080
# HTTP, and gRPC (h2c) when GRPC_PORT is set (compose: 9090)
EXPOSE 8080 9090
USER 65532:65532
WORKDIR /tmp
# The binary asks its own readiness endpoint (/readyz; the gateway's /__health): no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/usr/local/bin/service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/service"]
CMD ["serve"]
