# The Sluice image: API and workers (`sluice api`, `sluice worker [--site NAME]`).

# The console (the web UI the API serves at /) is bundled here, with the dev dependencies it is
# built from; the image keeps only the bundle.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY scripts/build-console.ts ./scripts/
COPY src/console ./src/console
COPY src/api/client ./src/api/client
RUN node --import tsx scripts/build-console.ts

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY connectors ./connectors
COPY temporal ./temporal
COPY migrations ./migrations
COPY tsconfig.json ./
COPY --from=console /app/dist/console ./dist/console
ENV NODE_ENV=production
ENTRYPOINT ["node", "--max-semi-space-size=2", "bin/sluice.js"]
