#!/usr/bin/env bash
# The whole test suite, as the README's second line runs it: brings up the lab (real Docker
# daemons with CRIU, Chromium) if missing, then typecheck, lint, unit, integration against the
# real daemons, and Playwright end-to-end in real Chromium. Ends with "N passed, N failed".
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
mkdir -p reports
rm -f reports/*.json

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\n[test] FAILED: %s\n' "$*" >&2; exit 1; }

step "lab: Docker daemons A-E with CRIU (B also over TLS and SSH), the counter image, Chromium"
bash scripts/lab.sh up || fail "the lab did not come up (see above); tests that migrate need it"

step "prisma client"
npx prisma generate >/dev/null || fail "prisma generate"

step "typecheck"
npx tsc --noEmit || fail "typecheck"

step "lint"
npx eslint --max-warnings 0 . || fail "lint"

status=0
step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=reports/unit.json || status=1

step "integration tests (real daemons, real SQLite)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=reports/integration.json || status=1

step "build"
npx next build || fail "next build"

step "end-to-end tests (Playwright, Debian Chromium)"
npx playwright test || status=1

step "summary"
node scripts/test-summary.mjs reports/unit.json reports/integration.json reports/e2e.json || status=1
exit $status
