#!/usr/bin/env bash
# Which lab hosts can restore which hosts' checkpoints: moves one counter container (--network
# none) from SOURCE to TARGET with the Engine API recipe of docs/lab.md, nothing else (curl on the
# unix sockets), and says what happened:
#   works           the restored counter went on from the next number (and whether CRIU's
#                   restore.log in the target's task directory says it finished, as Ferry checks)
#   starts afresh   the target's container started, but the counter began again at 1
#   fails: <error>  the step that failed and the daemon's own message
#
#   scripts/lab-pairs.sh A:D D:A D:B D:D ...     (hosts A-E of scripts/lab.sh; run lab.sh up first)
#   PAIRS_DEFAULT_DIR=1    checkpoint into the source container's own checkpoints/ directory
#                          instead of a directory of its own
#   PAIRS_NETWORK_DISABLED=1  create the target container with "NetworkDisabled": true (=both:
#                          the source container too; see docs/lab.md, "Docker versions")
#   PAIRS_TARGET_BINDS=src:dst,...  extra binds for the target container
# Leaves nothing behind (its containers carry ferry.lab=1; lab.sh down removes stragglers).
set -Eeuo pipefail

declare -A SOCK=([A]=/var/run/docker.sock [B]=/run/ferry-lab-b.sock [C]=/run/ferry-lab-c.sock
  [D]=/run/ferry-lab-d.sock [E]=/run/ferry-lab-e.sock)
readonly IMAGE=ferry/counter:lab

api() { # host method path [json body] -> body on stdout; fails with "HTTP <code>: <message>"
  local sock=${SOCK[$1]} method=$2 path=$3 body=${4:-} out code
  local args=(-sS --unix-socket "$sock" -X "$method" -w '\n%{http_code}')
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -d "$body")
  out=$(curl "${args[@]}" "http://docker$path") || { echo "curl failed for $method $path" >&2; return 1; }
  code=${out##*$'\n'}; out=${out%$'\n'*}
  if ((code >= 300)); then echo "HTTP $code: $(jq -r '.message // .' <<<"$out" 2>/dev/null || echo "$out")" >&2; return 1; fi
  printf '%s' "$out"
}
numbers() { docker -H "unix://${SOCK[$1]}" logs "$2" 2>&1 | grep -E '^[0-9]+$' || true; }

move() { # source target -> one line of result
  local src=$1 dst=$2 name="ferry-pairs-$1$2-$$" cp=cp-pairs err
  local dir=/var/lib/ferry-lab/pairs-$$ t0
  local sid='' did='' shelp='' dhelp=''
  cleanup() {
    local h id
    for h in "$src:$sid" "$src:$shelp" "$dst:$did" "$dst:$dhelp"; do
      id=${h#*:}; [[ -n $id ]] && api "${h%%:*}" DELETE "/containers/$id?force=1&v=1" >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
  }
  local create
  create=$(jq -nc --arg img "$IMAGE" --arg name "$name" \
    '{Image:$img, Hostname:$name, Labels:{"ferry.lab":"1"}, HostConfig:{NetworkMode:"none"}}')
  local screate=$create
  if [[ ${PAIRS_NETWORK_DISABLED:-0} == both ]]; then screate=$(jq -c '. + {NetworkDisabled:true}' <<<"$create"); fi
  sid=$(api "$src" POST "/containers/create?name=$name" "$screate" | jq -r .Id) || { cleanup; echo "fails: create on $src"; return; }
  api "$src" POST "/containers/$sid/start" >/dev/null || { cleanup; echo "fails: start on $src"; return; }
  sleep 3
  # 1. checkpoint on the source (Exit: true), into a directory of its own or the default one
  local body cpdir
  if [[ ${PAIRS_DEFAULT_DIR:-0} == 1 ]]; then
    body=$(jq -nc --arg cp "$cp" '{CheckpointID:$cp, Exit:true}')
    cpdir="$(api "$src" GET /info | jq -r .DockerRootDir)/containers/$sid/checkpoints"
  else
    mkdir -p "$dir"; cpdir=$dir
    body=$(jq -nc --arg cp "$cp" --arg d "$dir" '{CheckpointID:$cp, CheckpointDir:$d, Exit:true}')
  fi
  t0=$(date +%s.%N)
  if ! err=$(api "$src" POST "/containers/$sid/checkpoints" "$body" 2>&1 >/dev/null); then
    cleanup; echo "fails: checkpoint on $src: $err"; return
  fi
  local t_cp; t_cp=$(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN {print b - a}")
  local last; last=$(numbers "$src" "$sid" | tail -1)
  # 2. read it through a helper container on the source (created, never started)
  local helper
  helper=$(jq -nc --arg img "$IMAGE" --arg d "$cpdir" '{Image:$img, Labels:{"ferry.lab":"1"}, HostConfig:{NetworkMode:"none", Binds:["\($d):/cps"]}}')
  shelp=$(api "$src" POST /containers/create "$helper" | jq -r .Id) || { cleanup; echo "fails: helper on $src"; return; }
  local tar=$dir.tar
  curl -sfS --unix-socket "${SOCK[$src]}" -o "$tar" "http://docker/containers/$shelp/archive?path=/cps/$cp" \
    || { cleanup; rm -f "$tar"; echo "fails: archive GET on $src"; return; }
  # 3. the same container on the target; the checkpoint into its own checkpoints/ directory
  if [[ ${PAIRS_NETWORK_DISABLED:-0} != 0 ]]; then create=$(jq -c '. + {NetworkDisabled:true}' <<<"$create"); fi
  if [[ -n ${PAIRS_TARGET_BINDS:-} ]]; then create=$(jq -c --arg b "$PAIRS_TARGET_BINDS" '.HostConfig.Binds = ($b | split(","))' <<<"$create"); fi
  did=$(api "$dst" POST "/containers/create?name=$name-t" "$create" | jq -r .Id) || { cleanup; rm -f "$tar"; echo "fails: create on $dst"; return; }
  local droot; droot=$(api "$dst" GET /info | jq -r .DockerRootDir)
  helper=$(jq -nc --arg img "$IMAGE" --arg d "$droot/containers/$did/checkpoints" '{Image:$img, Labels:{"ferry.lab":"1"}, HostConfig:{NetworkMode:"none", Binds:["\($d):/cps"]}}')
  dhelp=$(api "$dst" POST /containers/create "$helper" | jq -r .Id) || { cleanup; rm -f "$tar"; echo "fails: helper on $dst"; return; }
  if ! err=$(curl -sS --unix-socket "${SOCK[$dst]}" -X PUT -H 'Content-Type: application/x-tar' --data-binary "@$tar" \
    -w '%{http_code}' -o /dev/null "http://docker/containers/$dhelp/archive?path=/cps") || [[ $err != 200 ]]; then
    cleanup; rm -f "$tar"; echo "fails: archive PUT on $dst ($err)"; return
  fi
  rm -f "$tar"
  api "$dst" DELETE "/containers/$dhelp?force=1" >/dev/null; dhelp=''
  # 4. start from the checkpoint
  t0=$(date +%s.%N)
  if ! err=$(api "$dst" POST "/containers/$did/start?checkpoint=$cp" 2>&1 >/dev/null); then
    # same-daemon restores right after a checkpoint may hit containerd's "already exists" (docs/lab.md)
    if [[ $err == *'already exists'* ]]; then sleep 0.5; err=''; api "$dst" POST "/containers/$did/start?checkpoint=$cp" >/dev/null 2>"$dir.err" || err=$(cat "$dir.err"); rm -f "$dir.err"; fi
    if [[ -n $err ]]; then cleanup; echo "fails: restore on $dst: $err"; return; fi
  fi
  local t_rs; t_rs=$(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN {print b - a}")
  sleep 2.5
  local first latest
  first=$(numbers "$dst" "$did" | head -1); latest=$(numbers "$dst" "$did" | tail -1)
  local state; state=$(api "$dst" GET "/containers/$did/json" | jq -r .State.Status)
  # The evidence Ferry's verify reads (docs/migration.md): CRIU's log in the task's work directory.
  local rlog="$droot/containerd/daemon/io.containerd.runtime.v2.task/moby/$did/restore.log" evidence
  if [[ ! -e $rlog ]]; then evidence="no restore.log in the task directory"
  elif grep -q 'Restore finished successfully' "$rlog"; then evidence='restore.log: "Restore finished successfully"'
  else evidence="restore.log without \"Restore finished successfully\""; fi
  cleanup
  if [[ -z $first ]]; then echo "fails: restored container on $dst is $state and printed nothing (source ended at $last)"
  elif [[ $first == 1 ]]; then echo "starts afresh: source ended at $last, target began at 1 (now $latest, $state; $evidence)"
  elif ((first == last + 1)); then printf 'works: source ended at %s, target went on from %s (checkpoint %.2f s, restore %.2f s; %s)\n' "$last" "$first" "$t_cp" "$t_rs" "$evidence"
  else echo "odd: source ended at $last, target began at $first (now $latest, $state)"; fi
}

(($#)) || { sed -n '2,15p' "$0"; exit 2; }
for pair in "$@"; do
  [[ $pair =~ ^([A-E]):([A-E])$ ]] || { echo "not a pair: $pair (use e.g. A:D)" >&2; exit 2; }
  printf '%s -> %s: %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$(move "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")"
done
