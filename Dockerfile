# HireDB: the HTTP API with the loader (`serve`, the default), the API alone (`serve --no-loader`) or only
# the loader (`loader`). Build with `podman build --format docker …` (or `docker build`): the OCI format
# has no HEALTHCHECK.

# Stage 1: production dependencies only. Only the package files come in first, so this layer is rebuilt
# only when they change.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles its addon when no prebuilt binary matches the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

# Stage 2: the runtime image, without the compilers, running as the image's unprivileged `node` user.
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8787
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.json ./
COPY bin bin
COPY loader loader
COPY shared shared
COPY worker worker
COPY sql sql
COPY data data
# The compiled JavaScript HireDB starts from (dist/node).
RUN npm run build
# var/ holds the default SQLite file and Blob folder; the only place the process writes.
RUN mkdir -p var/blob && chown -R node:node var
USER node
VOLUME /app/var
EXPOSE 8787
# GET /health on the container's own port: 200 when the database and the Blob store answer. It sends the
# first HIREDB_ALLOWED_HOSTS name as Host, so a host-restricted server still answers it. A `loader`
# container has no HTTP port: run it with --no-healthcheck (compose: `healthcheck: disable: true`).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const h=(process.env.HIREDB_ALLOWED_HOSTS||'').split(',')[0].trim();require('node:http').get({host:'127.0.0.1',port:process.env.PORT||8787,path:'/health',timeout:4000,headers:h?{host:h}:{}},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/hiredb.mjs"]
CMD ["serve"]
