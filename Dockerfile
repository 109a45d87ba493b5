# hookrelay: node:24-slim runs the TypeScript sources directly (type stripping), no build step.
FROM node:24-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HOOKRELAY_DATA_DIR=/data

WORKDIR /app

# Production dependencies only, from the lock file. The `node` devDependency (a Node 24 binary for
# machines with an older node) is not needed: the image's own node is 24.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# The sources (see .dockerignore for what stays out: tests, benchmarks, docs, local state).
COPY . .

RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node directly (not npm) so SIGTERM reaches the relay, which drains and flushes before exiting. The
# launcher re-executes itself in place with its V8 young-generation size (README, Operations), still pid 1.
CMD ["node", "bin/hookrelay.js", "start"]
