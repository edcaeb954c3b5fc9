#!/usr/bin/env bash
# Ferry's lab: two real Docker daemons ("host A" and "host B") with working CRIU checkpoint/restore
# on one Debian 12 machine, plus the counter test image. Idempotent: pieces already in place are
# detected and reused, so a second run takes seconds.
#
#   scripts/lab.sh up [--containers N]   install what is missing, start both daemons, self-test
#   scripts/lab.sh down                  remove lab containers, stop the daemons this script started
#   scripts/lab.sh status                print what is running
#
# Every step prints what it does; any failure exits non-zero with its cause.
set -Eeuo pipefail

readonly LAB_DIR=/var/lib/ferry-lab            # our state: image rootfs, pids, logs
readonly RUN_DIR=/run/ferry-lab
readonly CRIU_PREFIX=/opt/criu4
readonly CRIU_WRAPPER=/usr/local/sbin/criu
readonly SOCK_A=/var/run/docker.sock
readonly SOCK_B=/run/ferry-lab-b.sock
# Host B's data-root must NOT start with /var/lib/docker: dockerd then does not make it a shared
# mount and every cross-daemon restore fails with "mnt-v2: Failed to copy sharing".
readonly DATA_ROOT_B=/var/lib/ferry-lab-b/docker
readonly EXEC_ROOT_B=/run/ferry-lab-b
readonly IMAGE=ferry/counter:lab
readonly LABEL=ferry.lab=1
readonly COUNTER_SCRIPT='i=1; while true; do echo $i; i=$((i+1)); sleep 1; done'
readonly CRIU_PACKAGES=(criu libcompel1 libc6 libbsd0 libmd0 libgnutls30t64 libp11-kit0 libidn2-0
  libunistring5 libtasn1-6 libnettle8t64 libhogweed6t64 libgmp10 libnftables1 libmnl0 libnftnl11
  libxtables12 libjansson4 libffi8 libprotobuf-c1 libnl-3-200 libnet1 libuuid1)

log() { printf '[lab] %s\n' "$*"; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

dk_a() { docker -H "unix://$SOCK_A" "$@"; }
dk_b() { docker -H "unix://$SOCK_B" "$@"; }

require_root() { [[ $(id -u) -eq 0 ]] || die "the lab needs root (it installs packages and starts dockerd); run it with sudo"; }

# ---------------------------------------------------------------------------------------------
# Packages from Debian bookworm (never a newer suite: that would upgrade libc6)
install_packages() {
  local want=(docker.io jq curl busybox-static chromium fonts-dejavu-core ca-certificates iproute2)
  local missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then log "packages present: ${want[*]}"; return; fi
  log "installing from Debian: ${missing[*]}"
  # Keep the package scripts from starting a docker daemon with the distribution's defaults.
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  log "installed: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# CRIU 4.1.1 from Debian trixie, unpacked (not installed) into its own prefix, run through the
# prefix's own loader. bookworm's criu 3.17 cannot checkpoint on this kernel (vDSO bounds).
criu_works() { [[ -x $CRIU_WRAPPER ]] && "$CRIU_WRAPPER" check 2>&1 | grep -q 'Looks good'; }

install_criu() {
  if [[ -x $CRIU_PREFIX/usr/sbin/criu ]]; then
    log "criu 4.1.1 already unpacked in $CRIU_PREFIX"
  else
    download_criu
  fi
  write_criu_wrapper
  # bookworm's criu (if someone installed it) must not shadow ours for runc.
  if [[ -e /usr/sbin/criu && ! -L /usr/sbin/criu ]] && ! dpkg-divert --list /usr/sbin/criu | grep -q .; then
    dpkg-divert --local --rename --add /usr/sbin/criu >/dev/null
    ln -sf "$CRIU_WRAPPER" /usr/sbin/criu
  fi
  criu_works || die "criu check failed: $("$CRIU_WRAPPER" check 2>&1 | tail -3)"
  log "criu ready: $("$CRIU_WRAPPER" --version | head -1)"
}

download_criu() {
  log "unpacking CRIU 4.1.1 from Debian trixie into $CRIU_PREFIX"
  local base
  # The same Debian mirror the system's apt already uses (so no host is named here).
  base=$(apt-cache policy | awk '/ bookworm\/main amd64 Packages/ {print $2; exit}')
  [[ -n $base ]] || die "cannot find the Debian mirror in apt's configuration (apt-cache policy)"
  local d=$LAB_DIR/apt-trixie
  rm -rf "$d"; mkdir -p "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/lists/partial" \
    "$d/cache/archives/partial" "$d/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $base trixie main" >"$d/etc/sources.list"
  : >"$d/status"
  local opts=(-o "Dir::Etc::sourcelist=$d/etc/sources.list" -o "Dir::Etc::sourceparts=$d/etc/sources.list.d"
    -o "Dir::Etc::preferencesparts=$d/etc/preferences.d" -o "Dir::State::lists=$d/lists"
    -o "Dir::State::status=$d/status" -o "Dir::Cache=$d/cache" -o "APT::Architecture=amd64"
    -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -qq || die "apt-get update for trixie failed"
  (cd "$d/debs" && apt-get "${opts[@]}" download "${CRIU_PACKAGES[@]}" >/dev/null) \
    || die "downloading CRIU packages from trixie failed"
  rm -rf "$CRIU_PREFIX.tmp"; mkdir -p "$CRIU_PREFIX.tmp"
  for f in "$d"/debs/*.deb; do dpkg -x "$f" "$CRIU_PREFIX.tmp"; done
  rm -rf "$CRIU_PREFIX"; mv "$CRIU_PREFIX.tmp" "$CRIU_PREFIX"
  rm -rf "$d"
}

write_criu_wrapper() {
  mkdir -p "$(dirname "$CRIU_WRAPPER")"
  cat >"$CRIU_WRAPPER.tmp" <<EOF
#!/bin/sh
# criu 4.1.1 (Debian trixie) through its own glibc; --library-path keeps programs it starts on the
# system's libraries. Written by Ferry's scripts/lab.sh.
P=$CRIU_PREFIX
# 130 = FI_NO_BREAKPOINTS: in virtual machines whose hardware debug registers never fire (seen on
# AMD guests), the parasite's exit breakpoint never traps and every dump hangs forever. Without
# breakpoints CRIU steps the parasite out by syscall tracing: microseconds slower, never stuck.
export CRIU_FAULT=130
exec "\$P/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$P/usr/lib/x86_64-linux-gnu" --argv0 criu "\$P/usr/sbin/criu" "\$@"
EOF
  chmod 755 "$CRIU_WRAPPER.tmp"; mv "$CRIU_WRAPPER.tmp" "$CRIU_WRAPPER"
}

# ---------------------------------------------------------------------------------------------
# Two daemons
daemon_up() { docker -H "unix://$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_daemon() { # name sock config
  local name=$1 sock=$2 config=$3
  if daemon_up "$sock"; then
    [[ $(docker -H "unix://$sock" info --format '{{.ExperimentalBuild}}') == true ]] \
      || die "a docker daemon already listens on $sock without experimental mode; stop it or enable \"experimental\": true"
    log "host $name: daemon already running on unix://$sock"
    return
  fi
  mkdir -p "$RUN_DIR" "$LAB_DIR/logs"
  log "host $name: starting dockerd ($config)"
  # /usr/local/sbin first: runc finds our criu wrapper on the PATH dockerd passes on.
  PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin setsid /usr/sbin/dockerd --config-file "$config" \
    >>"$LAB_DIR/logs/dockerd-$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/dockerd-$name.pid"
  local i
  for i in $(seq 1 60); do
    daemon_up "$sock" && { log "host $name: up (pid $(cat "$RUN_DIR/dockerd-$name.pid"))"; return; }
    kill -0 "$(cat "$RUN_DIR/dockerd-$name.pid")" 2>/dev/null \
      || die "host $name: dockerd exited; last log lines: $(tail -5 "$LAB_DIR/logs/dockerd-$name.log")"
    sleep 0.5
  done
  die "host $name: dockerd did not answer within 30 s; see $LAB_DIR/logs/dockerd-$name.log"
}

start_daemons() {
  mkdir -p /etc/docker /etc/ferry-lab "$DATA_ROOT_B" "$EXEC_ROOT_B"
  local common='"experimental":true,"bridge":"none","iptables":false,"ip6tables":false,"ip-forward":false,"ip-masq":false'
  if [[ ! -s /etc/docker/daemon.json ]]; then
    echo "{$common}" >/etc/docker/daemon.json
  elif [[ $(jq -r .experimental /etc/docker/daemon.json) != true ]]; then
    die "/etc/docker/daemon.json exists without \"experimental\": true; checkpoint needs it"
  fi
  echo "{$common,\"data-root\":\"$DATA_ROOT_B\",\"exec-root\":\"$EXEC_ROOT_B\",\"pidfile\":\"/run/ferry-lab-b.pid\",\"hosts\":[\"unix://$SOCK_B\"]}" \
    >/etc/ferry-lab/daemon-b.json
  start_daemon A "$SOCK_A" /etc/docker/daemon.json
  start_daemon B "$SOCK_B" /etc/ferry-lab/daemon-b.json
}

# ---------------------------------------------------------------------------------------------
# The counter image: busybox-static only, prints 1, 2, 3 ... once a second
build_image() {
  if dk_a image inspect "$IMAGE" >/dev/null 2>&1 && dk_b image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present on both hosts"; return
  fi
  if ! dk_a image inspect "$IMAGE" >/dev/null 2>&1; then
    log "building $IMAGE on host A from busybox-static"
    local root=$LAB_DIR/counter-rootfs
    rm -rf "$root"; mkdir -p "$root/bin" "$root/tmp" "$root/data" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    for t in sh sleep echo date cat ls tail head mkdir rm touch env ps; do ln -s busybox "$root/bin/$t"; done
    echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
    tar -C "$root" -cf "$LAB_DIR/counter-rootfs.tar" .
    dk_a import --change "ENTRYPOINT [\"/bin/sh\",\"-c\",\"$COUNTER_SCRIPT\"]" \
      --change 'WORKDIR /' --change 'LABEL org.opencontainers.image.title=ferry-counter' \
      "$LAB_DIR/counter-rootfs.tar" "$IMAGE" >/dev/null
  fi
  if ! dk_b image inspect "$IMAGE" >/dev/null 2>&1; then
    log "copying $IMAGE to host B"
    dk_a save "$IMAGE" | dk_b load >/dev/null
  fi
}

# ---------------------------------------------------------------------------------------------
# Self-test: checkpoint a counter on A, restore it on B, the counter must continue.
last_number() { docker -H "unix://$1" logs "$2" 2>&1 | grep -E '^[0-9]+$' | tail -1; }
first_number() { docker -H "unix://$1" logs "$2" 2>&1 | grep -E '^[0-9]+$' | head -1; }

self_test() {
  local name="ferry-lab-selftest-$$" cp="selftest"
  local dir="$LAB_DIR/selftest-cp"
  log "self-test: checkpoint on A, restore on B"
  dk_a rm -f "$name" >/dev/null 2>&1 || true
  dk_b rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  dk_a run -d --name "$name" --hostname "$name" --network none --label "$LABEL" "$IMAGE" >/dev/null
  sleep 3
  dk_a checkpoint create --checkpoint-dir "$dir" "$name" "$cp" >/dev/null \
    || die "self-test: checkpoint on host A failed (criu: $CRIU_WRAPPER check)"
  local last_a; last_a=$(last_number "$SOCK_A" "$name")
  local id_b; id_b=$(dk_b create --name "$name" --hostname "$name" --network none --label "$LABEL" "$IMAGE")
  mkdir -p "$DATA_ROOT_B/containers/$id_b/checkpoints"
  cp -a "$dir/$cp" "$DATA_ROOT_B/containers/$id_b/checkpoints/"
  dk_b start --checkpoint "$cp" "$name" >/dev/null || die "self-test: restore on host B failed"
  sleep 2
  local first_b; first_b=$(first_number "$SOCK_B" "$name")
  dk_a rm -f "$name" >/dev/null; dk_b rm -f "$name" >/dev/null; rm -rf "$dir"
  [[ -n $last_a && -n $first_b ]] || die "self-test: no counter output (A: '$last_a', B: '$first_b')"
  ((first_b == last_a + 1)) || die "self-test: counter did not continue (A ended at $last_a, B began at $first_b)"
  log "self-test passed: A counted to $last_a, B went on from $first_b"
}

start_containers() {
  local n=$1 i started=0
  for i in $(seq 1 "$n"); do
    local name; name=$(printf 'counter-%03d' "$i")
    if dk_a inspect "$name" >/dev/null 2>&1; then
      [[ $(dk_a inspect -f '{{.State.Running}}' "$name") == true ]] || dk_a start "$name" >/dev/null
      continue
    fi
    dk_a run -d --name "$name" --hostname "$name" --network none --label "$LABEL" "$IMAGE" >/dev/null
    started=$((started + 1))
  done
  log "host A: $n counter containers running ($started started now)"
}

# ---------------------------------------------------------------------------------------------
cmd_up() {
  local containers=0 selftest=1
  while (($#)); do
    case $1 in
      --containers) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--containers needs a number"; containers=$2; shift 2 ;;
      --containers=*) containers=${1#*=}; [[ $containers =~ ^[0-9]+$ ]] || die "--containers needs a number"; shift ;;
      --no-self-test) selftest=0; shift ;;
      *) die "unknown option '$1' (use --containers N, --no-self-test)" ;;
    esac
  done
  require_root
  local t0=$SECONDS
  install_packages
  install_criu
  start_daemons
  build_image
  if ((selftest)); then
    if [[ -f $RUN_DIR/selftest.ok ]] && [[ $(cat "$RUN_DIR/selftest.ok") == "$(pids_fingerprint)" ]]; then
      log "self-test already passed against these daemons"
    else
      self_test; pids_fingerprint >"$RUN_DIR/selftest.ok"
    fi
  fi
  ((containers > 0)) && start_containers "$containers"
  log "lab ready in $((SECONDS - t0)) s: host A unix://$SOCK_A, host B unix://$SOCK_B"
}

pids_fingerprint() {
  echo "$(docker -H "unix://$SOCK_A" info --format '{{.ID}}' 2>/dev/null)/$(cat /run/docker.pid 2>/dev/null)|$(cat /run/ferry-lab-b.pid 2>/dev/null)"
}

cmd_down() {
  require_root
  for sock in "$SOCK_A" "$SOCK_B"; do
    if daemon_up "$sock"; then
      local ids; ids=$(docker -H "unix://$sock" ps -aq --filter "label=$LABEL")
      [[ -n $ids ]] && docker -H "unix://$sock" rm -f $ids >/dev/null && log "removed lab containers on unix://$sock"
    fi
  done
  local f
  for f in "$RUN_DIR"/dockerd-*.pid; do
    [[ -e $f ]] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      log "stopped dockerd pid $pid ($(basename "$f" .pid))"
    fi
    rm -f "$f"
  done
  rm -f "$RUN_DIR/selftest.ok"
}

cmd_status() {
  for pair in "A:$SOCK_A" "B:$SOCK_B"; do
    local n=${pair%%:*} s=${pair#*:}
    if daemon_up "$s"; then
      log "host $n: up on unix://$s, $(docker -H "unix://$s" ps -q | wc -l) running containers"
    else
      log "host $n: down"
    fi
  done
}

main() {
  local cmd=${1:-up}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    --containers*|--no-self-test) cmd_up "$cmd" "$@" ;;
    *) die "unknown command '$cmd' (up, down, status)" ;;
  esac
}
main "$@"
