#!/usr/bin/env bash
# Boots the built app (dist/, embedded PGlite in memory, no model key), fetches the OpenAPI document it serves at
# /docs-json and lints it with redocly's recommended rules: errors fail, warnings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${OPENAPI_LINT_PORT:-18999}"
out="test-artifacts/openapi"
mkdir -p "$out"
PGLITE_DIR=memory:// HOST=127.0.0.1 PORT="$port" LOG_LEVEL=error NODE_ENV=development node dist/src/main.js &
app=$!
trap 'kill "$app" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:${port}/health" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:${port}/docs-json" -o "$out/docs-json.json"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx redocly lint --extends=recommended "$out/docs-json.json"
