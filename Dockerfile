# The Sluice image: API and workers (`sluice api`, `sluice worker [--site NAME]`).
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
ENV NODE_ENV=production
ENTRYPOINT ["node", "--max-semi-space-size=2", "bin/sluice.js"]
