# syntax=docker/dockerfile:1
# Two stages: the build stage has the dev dependencies (TypeScript, codegen); the runtime stage has only
# production dependencies, the compiled dist/ and the files the server reads at start (schema, example operations).
# Node 22 LTS, pinned by minor so a rebuild never changes Node unnoticed: bump it on purpose (the engines test checks
# that package.json's engines covers it). .npmrc comes along: it keeps graphql-yoga (a types-only peer) out.

FROM node:22.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json codegen.yml ./
COPY schema ./schema
COPY examples/operations ./examples/operations
COPY src ./src
RUN npm run codegen && npm run build

FROM node:22.20-bookworm-slim AS runtime
ENV NODE_ENV=production
ENV PORT=4000
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY examples/operations ./examples/operations
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/index.js"]
