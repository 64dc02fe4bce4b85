# One image per service: docker build --build-arg SERVICE=users --build-arg VERSION=1.2.3 -t shop/users .
# Alpine (musl) runtime instead of Debian: --build-arg RUNTIME=alpine. Multi-arch: docker buildx build
# --platform linux/amd64,linux/arm64 (the build stage runs natively and cross-compiles for each platform).
# Stage 1 compiles the service with the Bun version pinned in package.json (installed from npm by the
# same bootstrap a newcomer uses); the runtime stage holds only the binary, run as a non-root user.

# debian (glibc, default) or alpine (musl)
ARG RUNTIME=debian

FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS build
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
ARG RUNTIME
ARG TARGETARCH
ARG BUILDARCH
# The release target for the image's platform and libc; a foreign one makes Bun fetch that runtime from npm.
# The binary answers --version here when it is for the machine building it.
RUN arch="$([ "${TARGETARCH:-amd64}" = arm64 ] && echo arm64 || echo x64)" \
 && libc="$([ "${RUNTIME}" = alpine ] && echo -musl || true)" \
 && target="linux-${arch}${libc}" \
 && VERSION="${VERSION}" node scripts/bun.mjs run build --target "${target}" "${SERVICE}" \
 && mkdir -p /out \
 && cp dist/"${SERVICE}"-*-"${target}" /out/service \
 && if [ "${target}" = "linux-$([ "${BUILDARCH:-amd64}" = arm64 ] && echo arm64 || echo x64)" ]; then /out/service --version; fi

FROM debian:bookworm-slim AS runtime-debian
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Bun's musl build links libstdc++ (and through it libgcc) dynamically.
FROM alpine:3.21 AS runtime-alpine
RUN apk add --no-cache ca-certificates libstdc++

FROM runtime-${RUNTIME}
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
