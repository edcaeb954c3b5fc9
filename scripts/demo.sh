#!/usr/bin/env bash
# A working demo: the lab with 12 counter containers and three real servers (redis, nginx,
# postgres) on host A, hosts A, B and C registered (over their unix sockets), an admin account,
# and the dashboard on http://127.0.0.1:3000.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export HOST=${HOST:-127.0.0.1} PORT=${PORT:-3000}

bash scripts/lab.sh up --containers 12

# Real servers to move, built by the lab from Debian's packages (host A only). Fixed arguments.
for s in redis nginx postgres; do
  if ! docker inspect "demo-$s" >/dev/null 2>&1; then
    docker run -d --name "demo-$s" --hostname "demo-$s" --network none --label ferry.lab=1 "ferry/$s:lab" >/dev/null
    echo "[demo] started demo-$s (ferry/$s:lab) on host A"
  elif [[ $(docker inspect -f '{{.State.Running}}' "demo-$s") != true ]]; then
    docker start "demo-$s" >/dev/null
  fi
done

if [[ ! -f .next/BUILD_ID ]] || [[ -n $(find app components lib proxy.ts next.config.ts -newer .next/BUILD_ID -print -quit 2>/dev/null) ]]; then
  echo "[demo] building the dashboard (about 30 s)"
  npx next build >/tmp/ferry-demo-build.log 2>&1 || { tail -30 /tmp/ferry-demo-build.log; exit 1; }
fi

node_modules/.bin/tsx --import ./scripts/server-only-hook.mjs scripts/demo-seed.ts
exec env NODE_ENV=production node_modules/.bin/tsx --import ./scripts/server-only-hook.mjs server.ts
