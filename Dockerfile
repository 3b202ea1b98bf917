# HireDB: the HTTP API and the loader (`serve`), or only the loader (`docker run … hiredb loader`).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles its addon when no prebuilt binary matches the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

FROM node:20-bookworm-slim
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
RUN npm run build
RUN mkdir -p var && chown node:node var
USER node
VOLUME /app/var
EXPOSE 8787
ENTRYPOINT ["node", "bin/hiredb.mjs"]
CMD ["serve"]
