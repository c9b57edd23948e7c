# syntax=docker/dockerfile:1
# segl container image: `docker build -t segl .`, then see docker-compose.yml.
# The same image runs `start` (all-in-one, default), `api` or `worker`.

# ---- build stage: compile TypeScript and the native addon (better-sqlite3) ----
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so this layer is cached until package*.json change.
# --ignore-scripts skips our own `prepare` (the build; sources aren't here yet);
# `npm rebuild` then runs the dependencies' install scripts (better-sqlite3).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild
COPY . .
RUN npm run build
RUN npm prune --omit=dev

# ---- runtime stage ----
FROM node:20-bookworm-slim
# No redis-server here: the image expects REDIS_URL (see docker-compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/wsdl ./wsdl
COPY --from=build --chown=node:node /app/openapi ./openapi
COPY --from=build --chown=node:node /app/src/portal/static ./src/portal/static
# DATA_DIR holds documents, signed results and the database: the node user's alone (segl also
# sets umask 0077 and closes the modes of what it finds there at start).
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
ENV NODE_ENV=production PORT=8080 DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "bin/segl.js"]
CMD ["start"]
