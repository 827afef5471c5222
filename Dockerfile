# Multi-stage build: compile the single binary with Bun, run it on a small Debian image as a
# non-root user. The binary embeds the code, workers, protos and migrations; only the challenge
# configuration is read from disk (/app/config, mount your own over it).
FROM oven/bun:1.4.4 AS build
WORKDIR /src
COPY package.json bun.lock bunfig.toml tsconfig.json ./
# The driver patch (patches/postgres@3.4.9.patch, see src/db/driver-bugs.ts) is applied by install.
COPY patches ./patches
RUN bun install --frozen-lockfile
COPY src ./src
COPY workers ./workers
COPY proto ./proto
COPY sql ./sql
RUN bun run build

FROM debian:bookworm-slim
# ca-certificates: HTTPS to AccelByte (JWKS, Platform); curl: the health check below.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --home-dir /app app
WORKDIR /app
COPY --from=build /src/dist/challenge-service /app/challenge-service
COPY config/challenges.json /app/config/challenges.json
USER app
ENV HTTP_PORT=8000 \
    GRPC_PORT=6565 \
    CHALLENGE_CONFIG_PATH=/app/config/challenges.json \
    DATA_DIR=/tmp/challenge-service
EXPOSE 8000 6565
# BASE_PATH prefixes every route, the health check included.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${HTTP_PORT}${BASE_PATH:-}/healthz" || exit 1
# DATABASE_URL is required in the image: the embedded PostgreSQL of `bun start` is not included.
ENTRYPOINT ["/app/challenge-service"]
