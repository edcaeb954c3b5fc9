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
# A step that hangs (a lab daemon that stopped answering, say) must end in a report, not in CI's
# own time limit with nothing said: each runner gets a bound, and its missing report counts as a
# failure in the summary. timeout signals the runner's whole process group (its workers too).
bounded() { # minutes what command...
  local mins=$1 what=$2 rc=0
  shift 2
  timeout -k 30 "${mins}m" "$@" || rc=$?
  ((rc == 124 || rc == 137)) && printf '\n[test] %s did not finish within %s minutes: stopped\n' "$what" "$mins" >&2
  return "$rc"
}
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
bounded 10 "unit tests" npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=reports/unit.json || status=1

step "integration tests (real daemons, real SQLite)"
bounded 40 "integration tests" npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=reports/integration.json || status=1

step "lab: still answering after the integration tests"
# A daemon that got stuck during the last integration file would hang the end-to-end run; lab.sh
# logs what it was stuck on and restarts it, and that counts as a failure of the run.
lab_out=$(timeout -k 10 5m bash scripts/lab.sh up --no-servers --no-self-test 2>&1) || { echo "$lab_out"; fail "the lab did not come back up"; }
if grep -E 'killed the stuck dockerd|is stopped \(SIGSTOP' <<<"$lab_out"; then
  echo "$lab_out" | grep -E '^\[lab\] (host|  )'
  printf '\n[test] FAILED: a lab daemon was stuck after the integration tests (above); restarted for the end-to-end tests\n' >&2
  status=1
else
  echo "hosts A, B and C answer"
fi

step "build"
npx next build || fail "next build"

step "end-to-end tests (Playwright, Debian Chromium)"
bounded 20 "end-to-end tests" npx playwright test || status=1

step "summary"
node scripts/test-summary.mjs reports/unit.json reports/integration.json reports/e2e.json || status=1
exit $status
