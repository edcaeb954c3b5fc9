#!/usr/bin/env bash
# Ferry's lab: real Docker daemons ("hosts") with working CRIU checkpoint/restore on one Debian 12
# machine, plus the counter test image. A, B and C run bookworm's Docker 20.10; D runs Debian
# forky's Docker 28.5.2 and E trixie's 26.1.5, unpacked beside it, for compatibility tests (see
# docs/lab.md, "Docker versions"). Host B is also served over TCP with mutual TLS and over SSH
# (its own sshd on 127.0.0.1), as a remote host would be. Everything listens on 127.0.0.1 or a unix
# socket. Idempotent: pieces already in place are detected and reused, so a second run takes seconds.
#
#   scripts/lab.sh up [--containers N] [--no-servers] [--no-self-test] [--no-newer]
#                                        install what is missing, start the daemons and sshd,
#                                        build the counter and server images, self-test;
#                                        --no-newer: hosts A, B and C only (no D, E)
#   scripts/lab.sh down                  remove lab containers, stop the daemons and sshd this
#                                        script started
#   scripts/lab.sh status                every host with its endpoints; Docker, API, containerd,
#                                        runc, CRIU and kernel versions
#   scripts/lab.sh env                   paths of the TLS and SSH material (shell assignments),
#                                        for tests and for registering hosts by hand
#   scripts/lab.sh criu <a|b|c|d|e> <4.1.1|4.2.1|default>
#                                        point one host's checkpoints/restores at a CRIU version
#   scripts/lab-pairs.sh A:D D:A ...     which host pairs can checkpoint -> restore (a counter)
#
# Every step prints what it does; any failure exits non-zero with its cause.
set -Eeuo pipefail

readonly LAB_DIR=/var/lib/ferry-lab            # our state: image rootfs, pids, logs
readonly RUN_DIR=/run/ferry-lab
readonly LAB_ETC=/etc/ferry-lab                # daemon-<b|c>.json, criu-version-<host>, tls/, ssh/
# Bump when the running daemons must be restarted with a new environment (see start_daemon).
readonly LAB_VERSION=2
# CRIU: every version listed is unpacked into /opt/criu-<version>. The wrapper runs the default
# unless a host is pointed at another one (scripts/lab.sh criu <a|b> <version>).
readonly CRIU_VERSIONS=(4.1.1 4.2.1)
readonly CRIU_DEFAULT_VERSION=4.2.1
declare -rA CRIU_SUITES=([4.1.1]="trixie" [4.2.1]="forky sid")  # the first suite that has it wins
declare -rA CRIU_LIBNET=([4.1.1]=libnet1 [4.2.1]=libnet9)        # libnet's soname changed in forky
readonly CRIU_LEGACY_PREFIX=/opt/criu4         # where lab.sh kept 4.1.1 before there were two
readonly CRIU_WRAPPER=/usr/local/sbin/criu
readonly CRIU_CONFIG=/etc/criu/runc.conf       # runc hands it to criu on every checkpoint/restore
readonly CRIU_PRLIMIT_SHIM=/usr/local/lib/ferry-lab/criu-prlimit.so  # see install_prlimit_shim
readonly SOCK_A=/var/run/docker.sock
readonly SOCK_B=/run/ferry-lab-b.sock
readonly SOCK_C=/run/ferry-lab-c.sock
# Data-roots of B and C must NOT start with /var/lib/docker: dockerd then does not make them shared
# mounts and every cross-daemon restore fails with "mnt-v2: Failed to copy sharing".
readonly DATA_ROOT_B=/var/lib/ferry-lab-b/docker
readonly EXEC_ROOT_B=/run/ferry-lab-b
readonly DATA_ROOT_C=/var/lib/ferry-lab-c/docker
readonly EXEC_ROOT_C=/run/ferry-lab-c
# Hosts D and E: the newer Dockers Debian ships, for compatibility tests. Each is Debian's docker.io
# and containerd of that suite, unpacked (dpkg -x, never installed) into newer_prefix, running on
# bookworm's own libraries, with its own data-root, exec-root, containerd and socket, set up like C.
# runc stays bookworm's (the newer suites' runc needs glibc 2.38 and cannot run through a loader:
# see install_newer_docker). The first suite listed that has the version wins.
readonly NEWER_HOSTS=(D E)
declare -rA NEWER_DOCKER=([D]=28.5.2 [E]=26.1.5)
declare -rA NEWER_SUITES=([D]="forky sid" [E]="trixie")
newer_prefix() { echo "/opt/ferry-docker-${NEWER_DOCKER[$1]}"; }  # D|E
newer_sock() { echo "/run/ferry-lab-${1,,}.sock"; }
newer_config() { echo "$LAB_ETC/daemon-${1,,}.json"; }
newer_data_root() { echo "/var/lib/ferry-lab-${1,,}/docker"; }
newer_exec_root() { echo "/run/ferry-lab-${1,,}"; }
# Host B over TCP with mutual TLS: certificates made by setup_tls.
readonly TLS_DIR=$LAB_ETC/tls
readonly TLS_PORT_B=23760
# Host B over SSH: the lab's own sshd (never the system's), key-only, user SSH_USER runs
# `docker system dial-stdio` against B's socket. A second sshd with another host key on
# SSH_PORT_REKEYED is "the same host after a reinstall" (a host key that changed).
readonly SSH_DIR=$LAB_ETC/ssh
readonly SSH_PORT_B=23722
readonly SSH_PORT_REKEYED=23723
readonly SSH_USER=ferry-lab
readonly SSH_USER_NODOCKER=ferry-lab-nodocker  # logs in, but its PATH has no docker
readonly SSH_GROUP=ferry-lab                    # owns host B's socket (dockerd "group")
readonly IMAGE=ferry/counter:lab
readonly LABEL=ferry.lab=1
readonly COUNTER_SCRIPT='i=1; while true; do echo $i; i=$((i+1)); sleep 1; done'
# criu and every library it loads, from the newer suite (its glibc above all), plus CRIU_LIBNET.
readonly CRIU_PACKAGES=(criu libcompel1 libc6 libbsd0 libmd0 libgnutls30t64 libp11-kit0 libidn2-0
  libunistring5 libtasn1-6 libnettle8t64 libhogweed6t64 libgmp10 libnftables1 libmnl0 libnftnl11
  libxtables12 libjansson4 libffi8 libprotobuf-c1 libnl-3-200 libuuid1)

log() { printf '[lab] %s\n' "$*"; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "line $LINENO: \"$BASH_COMMAND\" failed"' ERR

dk_a() { docker -H "unix://$SOCK_A" "$@"; }
dk_b() { docker -H "unix://$SOCK_B" "$@"; }
dk_c() { docker -H "unix://$SOCK_C" "$@"; }

require_root() { [[ $(id -u) -eq 0 ]] || die "the lab needs root (it installs packages and starts dockerd); run it with sudo"; }

# ---------------------------------------------------------------------------------------------
# Packages from Debian bookworm (never a newer suite: that would upgrade libc6)
install_packages() {
  local want=(docker.io jq curl busybox-static chromium fonts-dejavu-core ca-certificates iproute2
    openssl openssh-server openssh-client)
  # A C compiler for criu's prlimit shim, only where it is needed and no compiler is there.
  needs_prlimit_shim && ! command -v cc >/dev/null && want+=(tcc libc6-dev)
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
# CRIU, unpacked (not installed) from newer Debian suites into one prefix per version, each run
# through its prefix's own loader: criu 4.x needs a newer glibc than bookworm's. bookworm's criu
# 3.17 cannot checkpoint on this kernel (vDSO bounds); 4.1.1 cannot dump any process holding an
# IPv4/IPv6 socket on Linux >= 6.16 ("Can't get 1:16 opt", CRIU issue #2705); 4.2.1 can. 4.1.1
# stays so that one host can be pointed back at it to test a mixed fleet.
criu_prefix() { echo "/opt/criu-$1"; }
criu_unpacked_version() { # prefix -> its criu's version, empty if it has no working criu
  [[ -x $1/usr/sbin/criu ]] || return 0
  "$1/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$1/usr/lib/x86_64-linux-gnu" \
    "$1/usr/sbin/criu" --version 2>/dev/null | awk '/^Version:/ {print $2}' || true
}

install_criu() {
  local v
  # Labs set up before there were two versions have 4.1.1 in /opt/criu4: reuse it, do not download.
  if [[ ! -e $(criu_prefix 4.1.1) && -d $CRIU_LEGACY_PREFIX ]] \
    && [[ $(criu_unpacked_version "$CRIU_LEGACY_PREFIX") == 4.1.1 ]]; then
    log "moving CRIU 4.1.1 from $CRIU_LEGACY_PREFIX to $(criu_prefix 4.1.1)"
    mv "$CRIU_LEGACY_PREFIX" "$(criu_prefix 4.1.1)"
  fi
  for v in "${CRIU_VERSIONS[@]}"; do
    if [[ $(criu_unpacked_version "$(criu_prefix "$v")") == "$v" ]]; then
      log "criu $v already unpacked in $(criu_prefix "$v")"
    else
      download_criu "$v"
    fi
  done
  install_prlimit_shim
  write_criu_wrapper
  # bookworm's criu (if someone installed it) must not shadow ours for runc.
  if [[ -e /usr/sbin/criu && ! -L /usr/sbin/criu ]] && ! dpkg-divert --list /usr/sbin/criu | grep -q .; then
    dpkg-divert --local --rename --add /usr/sbin/criu >/dev/null
    ln -sf "$CRIU_WRAPPER" /usr/sbin/criu
  fi
  for v in "${CRIU_VERSIONS[@]}"; do
    FERRY_CRIU_VERSION=$v "$CRIU_WRAPPER" check 2>&1 | grep -q 'Looks good' \
      || die "criu $v: 'criu check' failed: $(FERRY_CRIU_VERSION=$v "$CRIU_WRAPPER" check 2>&1 | tail -3)"
  done
  log "criu ready: ${CRIU_VERSIONS[*]} behind $CRIU_WRAPPER (default $CRIU_DEFAULT_VERSION)"
  write_criu_config
}

# A private apt configuration for one newer Debian suite (own sources naming only that suite, own
# lists, an empty status, own cache) in $LAB_DIR/apt-<suite>: the newer suite is never enabled for
# the system's apt, which would upgrade libc6 and much else. Its package list is read once per run
# (CRIU 4.2.1 and host D both come from forky); cmd_up removes these directories at its end.
declare -A PRIVATE_APT_READY=()
for _suite in ${FERRY_LAB_APT_READY:-}; do PRIVATE_APT_READY[$_suite]=1; done
private_apt_opts() { # suite -> apt options, one a line
  local d=$LAB_DIR/apt-$1
  printf '%s\n' -o "Dir::Etc::sourcelist=$d/etc/sources.list" -o "Dir::Etc::sourceparts=$d/etc/sources.list.d" \
    -o "Dir::Etc::preferencesparts=$d/etc/preferences.d" -o "Dir::State::lists=$d/lists" \
    -o "Dir::State::status=$d/status" -o "Dir::Cache=$d/cache" -o "APT::Architecture=amd64" \
    -o "APT::Sandbox::User=root" -o "Acquire::Retries=2" -o "Acquire::http::Timeout=30"
}
private_apt_update() { # suite what-for: reads the suite's package list unless done in this run
  local suite=$1 d=$LAB_DIR/apt-$1 base opts
  [[ -n ${PRIVATE_APT_READY[$suite]:-} ]] && return
  # The same Debian mirror the system's apt already uses (so no host is named here).
  base=$(apt-cache policy | awk '/ bookworm\/main amd64 Packages/ {print $2; exit}')
  [[ -n $base ]] || die "cannot find the Debian mirror in apt's configuration (apt-cache policy)"
  rm -rf "$d"; mkdir -p "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/lists/partial" \
    "$d/cache/archives/partial" "$d/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $base $suite main" >"$d/etc/sources.list"
  : >"$d/status"
  log "$2: reading Debian $suite's package list (private apt configuration in $d)"
  mapfile -t opts < <(private_apt_opts "$suite")
  timeout 300 apt-get "${opts[@]}" update -qq || die "$2: apt-get update for Debian $suite failed (or took over 300 s)"
  PRIVATE_APT_READY[$suite]=1
}
private_apt_cleanup() { # every suite's, this process's and those a _newer-host child read
  rm -rf "${LAB_DIR:?}"/apt-*
  PRIVATE_APT_READY=()
}
private_apt_candidate() { # suite package -> the suite's candidate version, empty if none
  local opts; mapfile -t opts < <(private_apt_opts "$1")
  apt-cache "${opts[@]}" policy "$2" 2>/dev/null | awk '/Candidate:/ {print $2}' | grep -v '(none)' || true
}
private_apt_download() { # suite what-for packages...: .debs into $LAB_DIR/apt-<suite>/debs
  local suite=$1 what=$2 d=$LAB_DIR/apt-$1 opts; shift 2
  mapfile -t opts < <(private_apt_opts "$suite")
  rm -rf "$d/debs"; mkdir -p "$d/debs"
  (cd "$d/debs" && timeout 600 apt-get "${opts[@]}" download "$@" >/dev/null) \
    || die "$what: downloading from Debian $suite failed (or took over 600 s): $*"
}

download_criu() { # version
  local v=$1 p; p=$(criu_prefix "$v")
  local suite found='' cand
  for suite in ${CRIU_SUITES[$v]}; do
    private_apt_update "$suite" "criu $v"
    cand=$(private_apt_candidate "$suite" criu)
    [[ $cand == "$v"-* ]] && { found=$suite; break; }
    log "criu $v: Debian $suite has criu ${cand:-none}"
  done
  [[ -n $found ]] || die "criu $v: not in Debian ${CRIU_SUITES[$v]} any more; update CRIU_VERSIONS/CRIU_SUITES in $0"
  local pkgs=("${CRIU_PACKAGES[@]}" "${CRIU_LIBNET[$v]}") d=$LAB_DIR/apt-$found
  log "criu $v: unpacking ${#pkgs[@]} packages from Debian $found into $p"
  private_apt_download "$found" "criu $v" "${pkgs[@]}"
  rm -rf "$p.tmp"; mkdir -p "$p.tmp"
  local f
  for f in "$d"/debs/*.deb; do dpkg -x "$f" "$p.tmp"; done
  # Every library criu loads must come from the prefix (its glibc), none from the system.
  local lib=$p.tmp/usr/lib/x86_64-linux-gnu listing outside
  listing=$("$lib/ld-linux-x86-64.so.2" --library-path "$lib" --list "$p.tmp/usr/sbin/criu" 2>&1) \
    || die "criu $v: the prefix's loader cannot load criu: $listing"
  outside=$(awk -v pre="$p.tmp/" '/=>/ && index($3, pre) != 1 {print $1 " => " $3}' <<<"$listing")
  [[ -z $outside ]] || die "criu $v: libraries not found in the prefix (add their packages to CRIU_PACKAGES): $outside"
  rm -rf "$p"; mv "$p.tmp" "$p"
  rm -rf "$d/debs"
}

# Where root lacks CAP_SYS_RESOURCE (this project's sandboxed machines: CapEff 000001fffeffffff),
# criu cannot dump any process running under another uid than root (postgres, nginx's workers,
# redis): it reads each task's resource limits with prlimit64(pid, ...), which the kernel then
# refuses with EPERM ("Can't get rlimit 0: Operation not permitted"). The same values are in
# /proc/<pid>/limits, readable by anyone; this shim, preloaded into criu only (never into what criu
# starts or restores), answers such a failed read from there. Machines whose root has the
# capability do not get it.
needs_prlimit_shim() { # CAP_SYS_RESOURCE is capability 24
  local eff; eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  (( ((16#$eff) >> 24 & 1) == 0 ))
}

install_prlimit_shim() {
  if ! needs_prlimit_shim; then
    rm -f "$CRIU_PRLIMIT_SHIM"
    return
  fi
  local src=$LAB_DIR/criu-prlimit.c
  mkdir -p "$LAB_DIR" "$(dirname "$CRIU_PRLIMIT_SHIM")"
  cat >"$src.new" <<'EOF'
/*
 * Ferry lab: lets criu read the resource limits of a task that runs under another uid on
 * machines whose root lacks CAP_SYS_RESOURCE. prlimit64(pid, res, NULL, &old) on such a task
 * fails with EPERM there; /proc/<pid>/limits holds the same values and is readable by anyone.
 * Preloaded into criu only (ld.so --preload in /usr/local/sbin/criu). Written by scripts/lab.sh.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static int parse_limit(const char *s, uint64_t *v) {
  char *end;
  if (strcmp(s, "unlimited") == 0) { *v = UINT64_MAX; return 0; }
  errno = 0;
  *v = strtoull(s, &end, 10);
  return (errno || end == s || *end) ? -1 : 0;
}

/* Line res + 1 of /proc/<pid>/limits: a 26-character name, then the soft and hard limits. */
static int limits_from_proc(long pid, long res, uint64_t out[2]) {
  char path[64], line[256], soft[64], hard[64];
  long n = 0; /* lines read: the header, then one line per resource from 0 */
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/limits", pid);
  if (!(f = fopen(path, "re"))) return -1;
  while (n < res + 2 && fgets(line, sizeof line, f)) n++;
  fclose(f);
  if (n != res + 2 || strlen(line) < 27 || sscanf(line + 26, "%63s %63s", soft, hard) != 2) return -1;
  return (parse_limit(soft, &out[0]) || parse_limit(hard, &out[1])) ? -1 : 0;
}

/* criu calls syscall(__NR_prlimit64, pid, res, NULL, &lim); everything else passes through. */
long syscall(long n, ...) {
  static long (*real)(long, ...);
  long a[6];
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  long r = real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r == -1 && errno == EPERM && n == SYS_prlimit64 && a[0] > 0 && a[2] == 0 && a[3] != 0) {
    uint64_t lim[2];
    if (limits_from_proc(a[0], a[1], lim) == 0) { memcpy((void *)a[3], lim, sizeof lim); return 0; }
    errno = EPERM;
  }
  return r;
}
EOF
  if [[ -s $CRIU_PRLIMIT_SHIM ]] && cmp -s "$src.new" "$src"; then
    rm -f "$src.new"; log "criu prlimit shim present ($CRIU_PRLIMIT_SHIM): root here lacks CAP_SYS_RESOURCE"
    return
  fi
  mv "$src.new" "$src"
  local cc=cc; command -v cc >/dev/null || cc=tcc
  command -v "$cc" >/dev/null || die "no C compiler for the criu prlimit shim (apt-get install tcc libc6-dev)"
  log "root here lacks CAP_SYS_RESOURCE: building criu's prlimit shim with $cc into $CRIU_PRLIMIT_SHIM"
  "$cc" -shared -fPIC -O2 -o "$CRIU_PRLIMIT_SHIM.tmp" "$src" \
    || die "compiling $src with $cc failed"
  mv "$CRIU_PRLIMIT_SHIM.tmp" "$CRIU_PRLIMIT_SHIM"
}

write_criu_wrapper() {
  mkdir -p "$(dirname "$CRIU_WRAPPER")"
  local alternatives; alternatives=$(IFS='|'; echo "${CRIU_VERSIONS[*]}")
  local preload='' preload_note=''
  if [[ -s $CRIU_PRLIMIT_SHIM ]]; then
    preload=" --preload $CRIU_PRLIMIT_SHIM"
    preload_note="
# --preload: root here lacks CAP_SYS_RESOURCE, so criu could not read the resource limits of
# tasks running under other uids; the shim answers from /proc/<pid>/limits (lab.sh,
# install_prlimit_shim)."
  fi
  cat >"$CRIU_WRAPPER.tmp" <<EOF
#!/bin/sh
# Ferry lab's criu, written by Ferry's scripts/lab.sh. Each CRIU version is unpacked from Debian
# into /opt/criu-<version> with its own glibc and runs through that prefix's loader
# (--library-path, not LD_LIBRARY_PATH, so programs criu starts keep the system's libraries).
#
# Version: \$FERRY_CRIU_VERSION if set (manual runs), else the content of
# $LAB_ETC/criu-version-\$FERRY_LAB_HOST if it exists, else $CRIU_DEFAULT_VERSION. lab.sh starts each
# dockerd with FERRY_LAB_HOST=a, b, c, d or e; the variable reaches criu through containerd, the runc shim
# and runc, so 'scripts/lab.sh criu b 4.1.1' switches host B alone without restarting its daemon.
V=\${FERRY_CRIU_VERSION:-}
case \${FERRY_LAB_HOST:-} in
  a|b|c|d|e) if [ -z "\$V" ] && [ -s "$LAB_ETC/criu-version-\$FERRY_LAB_HOST" ]; then
         read -r V <"$LAB_ETC/criu-version-\$FERRY_LAB_HOST" || true
       fi ;;
esac
case \${V:-default} in
  default) V=$CRIU_DEFAULT_VERSION ;;
  $alternatives) ;;
  *) echo "criu (Ferry lab wrapper): unknown CRIU version '\$V'; have ${CRIU_VERSIONS[*]}" >&2; exit 1 ;;
esac
P=/opt/criu-\$V
# 130 = FI_NO_BREAKPOINTS: in virtual machines whose hardware debug registers never fire (seen on
# AMD guests), the parasite's exit breakpoint never traps and every dump hangs forever. Without
# breakpoints CRIU steps the parasite out by syscall tracing: microseconds slower, never stuck.
export CRIU_FAULT=130$preload_note
exec "\$P/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"$preload --library-path "\$P/usr/lib/x86_64-linux-gnu" --argv0 criu "\$P/usr/sbin/criu" "\$@"
EOF
  chmod 755 "$CRIU_WRAPPER.tmp"; mv "$CRIU_WRAPPER.tmp" "$CRIU_WRAPPER"
}

# The CRIU version the wrapper picks for a lab host ("4.2.1 (default)" or "4.1.1 (set in ...)").
criu_version_for() { # a|b|c|d|e
  local v; v=$(env -u FERRY_CRIU_VERSION FERRY_LAB_HOST=$1 "$CRIU_WRAPPER" --version 2>/dev/null | awk '/^Version:/ {print $2}')
  if [[ -s $LAB_ETC/criu-version-$1 ]]; then echo "${v:-?} (set in $LAB_ETC/criu-version-$1)"
  else echo "${v:-?} (default)"; fi
}

# /etc/criu/runc.conf: runc passes it to criu on every checkpoint and restore (unless a container
# carries the org.criu.config annotation); its options override runc's own. Only what real server
# containers were seen to need (docs/criu-config.md has each failure without it). Lines after the
# "local" marker are the machine's own (e.g. "log-file /tmp/criu.log" while debugging) and are kept.
readonly CRIU_CONFIG_LOCAL_MARK='# --- local additions below this line are kept by scripts/lab.sh ---'
write_criu_config() {
  local local_part=''
  [[ -f $CRIU_CONFIG ]] && local_part=$(awk -v m="$CRIU_CONFIG_LOCAL_MARK" 'kept {print} $0 == m {kept = 1}' "$CRIU_CONFIG")
  mkdir -p "$(dirname "$CRIU_CONFIG")"
  cat >"$CRIU_CONFIG.tmp" <<EOF
# CRIU options for every checkpoint and restore that runc makes. Written by Ferry's scripts/lab.sh;
# the reasons, and the error each prevents, are in docs/criu-config.md.

# A container whose processes hold an established TCP connection (a client connected to its
# server, a database session over 127.0.0.1, nginx keep-alive) otherwise fails to dump:
# "inet: Connected TCP socket, consider using --tcp-established option."
# Needed on restore too, to put the connections back.
tcp-established

# A server under load has connections the kernel accepted that the process has not yet taken
# with accept(); without this the dump fails: "inet: In-flight connection (l) for <inode>".
# With it those not-yet-accepted connections are dropped (their clients see a reset).
skip-in-flight

$CRIU_CONFIG_LOCAL_MARK
${local_part}
EOF
  if cmp -s "$CRIU_CONFIG.tmp" "$CRIU_CONFIG"; then
    rm -f "$CRIU_CONFIG.tmp"; log "criu options for runc in $CRIU_CONFIG: tcp-established, skip-in-flight"
  else
    mv "$CRIU_CONFIG.tmp" "$CRIU_CONFIG"; log "wrote $CRIU_CONFIG: tcp-established, skip-in-flight"
  fi
}

# ---------------------------------------------------------------------------------------------
# Two daemons
# Bounded: a daemon that is alive but stuck (frozen, or waiting on its containerd) must not hang
# lab.sh; /version goes through dockerd to its containerd, so it answers only when both do.
daemon_up() { timeout -k 2 15 docker -H "unix://$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
daemon_pid() { # config -> pid of the dockerd running with it (from its pidfile), empty if none
  local pidfile pid
  pidfile=$(jq -r '.pidfile // "/var/run/docker.pid"' "$1" 2>/dev/null) || pidfile=/var/run/docker.pid
  pid=$(cat "$pidfile" 2>/dev/null) || true
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid" || true
}
# A dockerd that was killed (a fault test SIGKILLs one) leaves its pid file; until its process is
# reaped (as a zombie it still answers kill -0) a new dockerd refuses to start ("pid file found").
# A pid file whose process is gone, a zombie or not a dockerd is stale: remove it.
# The same holds for the containerd that dockerd started (it dies with dockerd): a new dockerd that
# finds its pid file alive waits for it to answer and gives up ("timeout waiting for containerd").
config_exec_root() { jq -r '."exec-root" // "/var/run/docker"' "$1" 2>/dev/null || echo /var/run/docker; }
clear_stale_pidfile() { # config name
  local exec_root pidfile
  exec_root=$(config_exec_root "$1")
  pidfile=$(jq -r '.pidfile // "/var/run/docker.pid"' "$1" 2>/dev/null) || pidfile=/var/run/docker.pid
  clear_pidfile_unless "$pidfile" dockerd "$2"
  clear_pidfile_unless "$exec_root/containerd/containerd.pid" containerd "$2"
}

clear_pidfile_unless() { # pidfile live-command-name host-name
  local pid state comm
  [[ -s $1 ]] || return 0
  pid=$(cat "$1")
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if [[ -z $state || $state == Z || $comm != "$2" ]]; then
    rm -f "$1"
    log "host $3: removed stale pid file $1 (pid $pid: ${state:+state $state, }${comm:-gone})"
  fi
}

# The environment lab.sh gives each dockerd. FERRY_LAB_HOST tells the criu wrapper which host
# called it (it reaches criu through containerd, the shim and runc; see docs/lab.md);
# FERRY_LAB_VERSION tells a later lab.sh whether this daemon was started the current way.
daemon_env_ok() { # pid host-letter
  local env; env=$(tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null) || return 1
  grep -qx "FERRY_LAB_HOST=$2" <<<"$env" && grep -qx "FERRY_LAB_VERSION=$LAB_VERSION" <<<"$env"
}

stop_dockerd() { # pid what: TERM, wait (dockerd first stops its containers), then KILL
  local pid=$1 what=$2
  # Only a live dockerd: a stale pid file may name a pid that now belongs to something else.
  [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 0
  kill "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; log "killed $what (pid $pid) after 60 s"; else log "stopped $what (pid $pid)"; fi
}

# A daemon outlives this script: it must not keep the script's other open files (a caller's
# `flock` lock, a pipe a test waits on). Closes every descriptor above 2 before exec.
# No redirection on the loop: an `exec` inside a redirected compound command makes that redirection
# permanent, and `done 2>/dev/null` here sent every dockerd's stderr (its whole log) to /dev/null.
# The [[ -e ]] skips the descriptor the glob itself had open.
CLOSE_FDS='for fd in /proc/$$/fd/*; do n=${fd##*/}; if ((n > 2)) && [[ -e $fd ]]; then eval "exec $n>&-"; fi; done'

# A daemon whose config file changed since it started (lab.sh added a listener, say) needs a
# restart. When lab.sh starts a dockerd or sshd it records "<pid> <hash of its config>" in
# RUN_DIR/config-<name> (not in the environment: sshd writes its title over it). A process
# without a record of its own pid (started by an older lab.sh, or by another copy of it) counts as
# changed when the file is newer than the process by more than a few seconds (this machine's clock
# and ps's start times drift apart).
config_hash() { sha256sum "$1" | cut -c1-16; }
record_config() { echo "$1 $(config_hash "$2")" >"$RUN_DIR/config-$3"; } # pid file name
config_changed() { # pid file name
  local rec since
  rec=$(cat "$RUN_DIR/config-$3" 2>/dev/null) || rec=''
  if [[ ${rec%% *} == "$1" ]]; then [[ ${rec#* } != "$(config_hash "$2")" ]]; return; fi
  since=$(date -d "$(ps -o lstart= -p "$1" 2>/dev/null)" +%s 2>/dev/null) || return 1
  (($(stat -c %Y "$2") > since + 5))
}

# A dockerd that is alive but does not answer (SIGSTOPped, or stuck on a call into its containerd)
# blocks every test after it, and a new dockerd cannot take its socket. What it was doing goes to
# the log first: its state, the lab's containerd/shim/runc/criu processes, and the goroutines of
# dockerd and its containerd that serve requests (SIGUSR1 makes both dump their stacks).
# Then both are killed, and start_daemon starts them afresh (live-restore keeps the containers).
heal_stuck_daemon() { # name sock config
  local name=$1 sock=$2 pid state exec_root cpid
  pid=$(daemon_pid "$3")
  [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 0
  daemon_up "$sock" && return 0
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  if [[ $state == T ]]; then
    log "host $name: dockerd (pid $pid) is stopped (SIGSTOP, state T): sending SIGCONT"
    kill -CONT "$pid"
    for _ in $(seq 1 20); do daemon_up "$sock" && return 0; sleep 0.5; done
  fi
  exec_root=$(config_exec_root "$3")
  cpid=$(cat "$exec_root/containerd/containerd.pid" 2>/dev/null || true)
  log "host $name: dockerd (pid $pid, state $state) is alive but has not answered on unix://$sock for 15 s;" \
    "its containerd: pid ${cpid:-none}, state $(awk '{print $3}' "/proc/$cpid/stat" 2>/dev/null || echo gone)"
  # This host's containerd and shims, and every runc and criu (the lab's share one binary each).
  ps -eo pid,ppid,stat,etime,wchan:24,comm,args --sort=start_time \
    | awk -v root="$exec_root/" '$6 ~ /^(runc|criu)$/ || ($6 ~ /^containerd/ && index($0, root))' \
    | cut -c1-220 | sed "s/^/[lab]   /" || true
  local logf=$LAB_DIR/logs/dockerd-$name.log lines
  lines=$(wc -l <"$logf" 2>/dev/null || echo 0)
  kill -USR1 "$pid" 2>/dev/null || true
  [[ -n $cpid ]] && kill -USR1 "$cpid" 2>/dev/null || true
  sleep 3
  local dumps; dumps=$(tail -n +"$((lines + 1))" "$logf" | grep -oE 'stacks? (dump )?written to [^ "]*' | awk '{print $NF}' || true)
  log "host $name: goroutine dumps of dockerd and containerd: $(echo ${dumps:-none written})"
  # The goroutines serving an API request (dockerd) or a task call (containerd): their state (with
  # how long they have waited, from a minute on) and their first frames in the daemons' own code.
  local f; for f in $dumps; do [[ -f $f ]] && cat "$f"; done | awk '
    function flush() { if (body ~ /api\/server\/router|services\/tasks|runtime\/v2\/(shim|task)/ && n++ < 20) print "[lab]     " hdr top }
    /^goroutine [0-9]+ \[/ { flush(); hdr = $0; body = ""; top = ""; k = 0; next }
    /^[a-z]/ && $0 !~ /^created by/ { body = body " " $0; if (k < 2 && $0 ~ /docker\/docker\/|containerd\/containerd\//) { sub(/\(0x.*$/, "", $0); top = top " <- " $0; k++ } }
    END { flush() }' | cut -c1-240 || true
  kill -9 "$pid" 2>/dev/null || true
  [[ -n $cpid && $(cat "/proc/$cpid/comm" 2>/dev/null) == containerd ]] && kill -9 "$cpid" 2>/dev/null
  for _ in $(seq 1 40); do
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^(|Z)$ ]] && break; sleep 0.25
  done
  log "host $name: killed the stuck dockerd (pid $pid) and its containerd; starting it again"
}

start_daemon() { # name sock config [prefix of an unpacked newer Docker (hosts D, E)]
  local name=$1 sock=$2 config=$3 prefix=${4:-} host=${1,,}
  # /usr/local/sbin first: runc finds our criu wrapper on the PATH dockerd passes on. A newer
  # Docker's lab-bin comes next: its containerd and shim, bookworm's runc (install_newer_docker).
  local dockerd=/usr/sbin/dockerd path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
  if [[ -n $prefix ]]; then
    dockerd=$prefix/usr/sbin/dockerd path=/usr/local/sbin:$prefix/lab-bin:/usr/sbin:/usr/bin:/sbin:/bin
  fi
  heal_stuck_daemon "$name" "$sock" "$config"
  if daemon_up "$sock"; then
    [[ $(docker -H "unix://$sock" info --format '{{.ExperimentalBuild}}') == true ]] \
      || die "a docker daemon already listens on $sock without experimental mode; stop it or enable \"experimental\": true"
    local pid; pid=$(daemon_pid "$config")
    if [[ -n $pid ]] && daemon_env_ok "$pid" "$host" && ! config_changed "$pid" "$config" "dockerd-$name" \
      && [[ -z $prefix || $(readlink "/proc/$pid/exe") == "$dockerd" ]]; then
      log "host $name: daemon already running on unix://$sock (pid $pid)"
      return
    fi
    if [[ -z $pid || $pid != "$(cat "$RUN_DIR/dockerd-$name.pid" 2>/dev/null)" ]]; then
      # Not ours: leave it alone. Its criu is the wrapper's default; 'lab.sh criu' cannot switch it.
      log "host $name: WARNING: the daemon on unix://$sock was not started by lab.sh (no FERRY_LAB_HOST); using it as it is"
      return
    fi
    # Started by an older lab.sh (without FERRY_LAB_HOST), before its config file changed (a new
    # listener) or from another prefix: restart it once. live-restore keeps its containers running.
    log "host $name: restarting dockerd (pid $pid): its environment, $config or its binary changed;" \
      "its $(docker -H "unix://$sock" ps -q | wc -l) running containers keep running (live-restore)"
    stop_dockerd "$pid" "host $name dockerd"
    for _ in $(seq 1 20); do daemon_up "$sock" || break; sleep 0.5; done
  fi
  mkdir -p "$RUN_DIR" "$LAB_DIR/logs"
  clear_stale_pidfile "$config" "$name"
  log "host $name: starting dockerd ($config)"
  PATH=$path FERRY_LAB_HOST=$host FERRY_LAB_VERSION=$LAB_VERSION \
    setsid bash -c "$CLOSE_FDS"'; exec "$2" --config-file "$1"' dockerd "$config" "$dockerd" >>"$LAB_DIR/logs/dockerd-$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/dockerd-$name.pid"
  record_config $! "$config" "dockerd-$name"
  local i
  for i in $(seq 1 60); do
    daemon_up "$sock" && { log "host $name: up (pid $(cat "$RUN_DIR/dockerd-$name.pid"))"; return; }
    kill -0 "$(cat "$RUN_DIR/dockerd-$name.pid")" 2>/dev/null \
      || die "host $name: dockerd exited; last log lines: $(tail -5 "$LAB_DIR/logs/dockerd-$name.log")"
    sleep 0.5
  done
  die "host $name: dockerd did not answer within 30 s; see $LAB_DIR/logs/dockerd-$name.log"
}

write_if_changed() { # file content: rewrites the file only when its content differs (keeps its mtime)
  if [[ -f $1 ]] && [[ $(cat "$1") == "$2" ]]; then return; fi
  printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1"
}

start_daemons() {
  mkdir -p /etc/docker "$LAB_ETC" "$DATA_ROOT_B" "$EXEC_ROOT_B" "$DATA_ROOT_C" "$EXEC_ROOT_C"
  # live-restore: containers keep running while their daemon is down or restarting (a killed
  # source daemon must not take its containers with it; the fault suite kills one).
  local common='"experimental":true,"live-restore":true,"bridge":"none","iptables":false,"ip6tables":false,"ip-forward":false,"ip-masq":false'
  if [[ ! -s /etc/docker/daemon.json ]]; then
    echo "{$common}" >/etc/docker/daemon.json
  elif [[ $(jq -r .experimental /etc/docker/daemon.json) != true ]]; then
    die "/etc/docker/daemon.json exists without \"experimental\": true; checkpoint needs it"
  elif [[ $(jq -r '."live-restore"' /etc/docker/daemon.json) != true ]]; then
    log "turning on live-restore in /etc/docker/daemon.json (containers outlive a daemon restart)"
    jq '. + {"live-restore": true}' /etc/docker/daemon.json >/etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json
  fi
  # B: its unix socket belongs to group ferry-lab (the SSH user's), and it also listens on
  # 127.0.0.1:TLS_PORT_B, where only clients with a certificate from the lab's CA get in.
  write_if_changed "$LAB_ETC/daemon-b.json" "{$common,\"data-root\":\"$DATA_ROOT_B\",\"exec-root\":\"$EXEC_ROOT_B\",\"pidfile\":\"/run/ferry-lab-b.pid\",\"group\":\"$SSH_GROUP\",\"hosts\":[\"unix://$SOCK_B\",\"tcp://127.0.0.1:$TLS_PORT_B\"],\"tlsverify\":true,\"tlscacert\":\"$TLS_DIR/ca.pem\",\"tlscert\":\"$TLS_DIR/server-cert.pem\",\"tlskey\":\"$TLS_DIR/server-key.pem\"}"
  write_if_changed "$LAB_ETC/daemon-c.json" "{$common,\"data-root\":\"$DATA_ROOT_C\",\"exec-root\":\"$EXEC_ROOT_C\",\"pidfile\":\"/run/ferry-lab-c.pid\",\"hosts\":[\"unix://$SOCK_C\"]}"
  start_daemon A "$SOCK_A" /etc/docker/daemon.json
  start_daemon B "$SOCK_B" "$LAB_ETC/daemon-b.json"
  start_daemon C "$SOCK_C" "$LAB_ETC/daemon-c.json"
}

# ---------------------------------------------------------------------------------------------
# Hosts D and E: the newer Dockers of Debian forky (28.5.2) and trixie (26.1.5), for compatibility
# tests. Set up like C (own config, data-root, exec-root, pid file, socket; the containerd that
# dockerd starts keeps its socket, state and root under those), plus the counter image.
#
# Only docker.io and containerd come from the newer suite, unpacked with dpkg -x into
# /opt/ferry-docker-<version> through a private apt configuration (nothing is installed; bookworm's
# docker.io stays). Their dockerd, containerd and shims are Go programs needing glibc 2.34, so they
# run on bookworm's own libraries. runc does not: forky's and trixie's runc need glibc 2.38, and
# runc cannot run through a loader wrapper as criu does (it re-executes /proc/self/exe for
# `runc init`, which is then the loader: "can't copy bootstrap data to pipe"). So the daemon's PATH
# has <prefix>/lab-bin first (after the criu wrapper): the newer containerd, shims, ctr and
# docker-proxy, and links to bookworm's runc and docker-init (tini).
newer_docker_version() { # prefix -> the version its dockerd reports (28.5.2), empty if none
  [[ -x $1/usr/sbin/dockerd ]] || return 0
  "$1/usr/sbin/dockerd" --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9.]*\).*/\1/p' || true
}

install_newer_docker() { # D|E
  local h=$1 v=${NEWER_DOCKER[$1]} p; p=$(newer_prefix "$1")
  if [[ $(newer_docker_version "$p") == "$v" && -x $p/lab-bin/containerd ]]; then
    log "host $h: docker $v already unpacked in $p ($(cat "$p/ferry-lab-source" 2>/dev/null))"
    return
  fi
  local suite found='' cand
  for suite in ${NEWER_SUITES[$h]}; do
    private_apt_update "$suite" "host $h"
    cand=$(private_apt_candidate "$suite" docker.io)
    [[ $cand == "$v"[+-]* ]] && { found=$suite; break; }
    log "host $h: Debian $suite has docker.io ${cand:-none}, not $v"
  done
  [[ -n $found ]] || die "host $h: docker.io $v is not in Debian ${NEWER_SUITES[$h]// / or } any more; update NEWER_DOCKER/NEWER_SUITES in $0, or run 'lab.sh up --no-newer' for hosts A, B and C alone"
  local ccand; ccand=$(private_apt_candidate "$found" containerd)
  [[ -n $ccand ]] || die "host $h: Debian $found has no containerd package"
  log "host $h: unpacking docker.io $cand and containerd $ccand from Debian $found into $p"
  private_apt_download "$found" "host $h" docker.io containerd
  rm -rf "$p.tmp"; mkdir -p "$p.tmp"
  local f
  for f in "$LAB_DIR/apt-$found"/debs/*.deb; do dpkg -x "$f" "$p.tmp"; done
  rm -rf "$LAB_DIR/apt-$found/debs"
  [[ -x $p.tmp/usr/sbin/dockerd && -x $p.tmp/usr/bin/containerd && -x $p.tmp/usr/bin/containerd-shim-runc-v2 ]] \
    || die "host $h: the unpacked packages lack dockerd, containerd or containerd-shim-runc-v2 (looked in $p.tmp)"
  # They must run on bookworm's libraries (a newer glibc would need the loader, which runc forbids).
  local out
  out=$("$p.tmp/usr/sbin/dockerd" --version 2>&1) || die "host $h: Debian $found's dockerd does not run here: $out"
  out=$("$p.tmp/usr/bin/containerd" --version 2>&1) || die "host $h: Debian $found's containerd does not run here: $out"
  mkdir -p "$p.tmp/lab-bin"
  for f in "$p.tmp"/usr/bin/containerd* "$p.tmp"/usr/bin/ctr "$p.tmp"/usr/sbin/docker-proxy; do
    if [[ -e $f ]]; then ln -s "$p/${f#"$p.tmp/"}" "$p.tmp/lab-bin/${f##*/}"; fi
  done
  ln -s /usr/sbin/runc "$p.tmp/lab-bin/runc"
  ln -s /usr/bin/docker-init "$p.tmp/lab-bin/docker-init"
  echo "docker.io $cand, containerd $ccand, Debian $found" >"$p.tmp/ferry-lab-source"
  rm -rf "$p"; mv "$p.tmp" "$p"
  log "host $h: $(newer_docker_version "$p") unpacked in $p ($(du -sm "$p" | cut -f1) MB)"
}

start_newer_daemon() { # D|E
  local h=$1 config; config=$(newer_config "$1")
  local common='"experimental":true,"live-restore":true,"bridge":"none","iptables":false,"ip6tables":false,"ip-forward":false,"ip-masq":false'
  mkdir -p "$LAB_ETC" "$(newer_data_root "$h")" "$(newer_exec_root "$h")"
  write_if_changed "$config" "{$common,\"data-root\":\"$(newer_data_root "$h")\",\"exec-root\":\"$(newer_exec_root "$h")\",\"pidfile\":\"/run/ferry-lab-${h,,}.pid\",\"hosts\":[\"unix://$(newer_sock "$h")\"]}"
  start_daemon "$h" "$(newer_sock "$h")" "$config" "$(newer_prefix "$h")"
  local sock; sock=$(newer_sock "$h")
  if ! docker -H "unix://$sock" image inspect "$IMAGE" >/dev/null 2>&1; then
    log "copying $IMAGE to host $h"
    dk_a save "$IMAGE" | docker -H "unix://$sock" load >/dev/null || die "host $h: docker load of $IMAGE failed"
  fi
}

# A newer host that cannot be set up (its pinned Docker left Debian, a download failed) is named
# with its cause and left down; A, B and C stay up and `up` succeeds, so the tests of everything
# else still run. `lab.sh status` shows it down; a test that needs it fails and says so.
NEWER_FAILED=()
newer_hosts_up() {
  local h t
  for h in "${NEWER_HOSTS[@]}"; do
    t=$SECONDS
    # Its own lab.sh process, with errexit in force (a subshell tested by `if` would run with it off);
    # the suites' package lists read by this run are passed on, not read again.
    if FERRY_LAB_APT_READY="${!PRIVATE_APT_READY[*]}" bash "$0" _newer-host "$h"; then
      log "host $h: ready on unix://$(newer_sock "$h") in $((SECONDS - t)) s"
    else
      log "WARNING: host $h (docker ${NEWER_DOCKER[$h]}) is not up: see the error above; hosts A, B and C are"
      NEWER_FAILED+=("$h")
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# TLS for host B: a CA, the daemon's certificate (SAN 127.0.0.1 and localhost), a client
# certificate. And what the error tests need: a second CA ("wrong CA"), a client certificate from
# that CA ("wrong client certificate") and an expired client certificate from the right CA.
# Keys are 0600 root. Made once; kept unless a file is missing or the daemon's certificate expires.
readonly TLS_FILES=(ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem other-ca.pem other-ca-key.pem
  other-cert.pem other-key.pem expired-cert.pem expired-key.pem)
tls_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null && chmod 600 "$1"; }
tls_ca() { # prefix common-name
  tls_key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -days 3650 -subj "/CN=$2" -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$1.pem" 2>/dev/null || die "openssl could not make the CA $1.pem"
  chmod 644 "$1.pem"
}
tls_sign() { # key cert ca-prefix common-name server|client [openssl ca date options...]
  local key=$1 cert=$2 ca=$3 cn=$4 ext=$5; shift 5
  local d; d=$(mktemp -d)
  printf '%s\n' '[ ca ]' 'default_ca = lab' '[ lab ]' "database = $d/index.txt" "new_certs_dir = $d" \
    "serial = $d/serial" 'default_md = sha256' 'default_days = 3650' 'policy = any' 'unique_subject = no' \
    '[ any ]' 'commonName = supplied' \
    '[ server ]' 'basicConstraints = critical,CA:FALSE' 'keyUsage = critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage = serverAuth' 'subjectAltName = IP:127.0.0.1,DNS:localhost' \
    '[ client ]' 'basicConstraints = critical,CA:FALSE' 'keyUsage = critical,digitalSignature' \
    'extendedKeyUsage = clientAuth' >"$d/ca.cnf"
  : >"$d/index.txt"; openssl rand -hex 16 >"$d/serial"
  openssl req -new -key "$key" -subj "/CN=$cn" -out "$d/req.csr" 2>/dev/null || { rm -rf "$d"; die "openssl req for $cert failed"; }
  # openssl ca, not x509 -req: OpenSSL 3.0 has no -not_before, and the expired certificate needs a
  # start date in the past (-startdate/-enddate).
  openssl ca -batch -notext -config "$d/ca.cnf" -cert "$ca.pem" -keyfile "$ca-key.pem" -extensions "$ext" \
    -in "$d/req.csr" -out "$cert" "$@" >/dev/null 2>&1 || { rm -rf "$d"; die "openssl ca could not sign $cert"; }
  rm -rf "$d"; chmod 644 "$cert"
}
setup_tls() {
  local f missing=0 t=$TLS_DIR
  for f in "${TLS_FILES[@]}"; do [[ -s $t/$f ]] || missing=1; done
  if ((missing == 0)) && openssl x509 -checkend 86400 -noout -in "$t/server-cert.pem" >/dev/null; then
    log "TLS material present in $t"; return
  fi
  log "making the lab's TLS material in $t (CA, host B's certificate, client certificates)"
  rm -rf "$t"; mkdir -p "$t"; chmod 755 "$t"
  tls_ca "$t/ca" "Ferry lab CA"
  tls_key "$t/server-key.pem"; tls_sign "$t/server-key.pem" "$t/server-cert.pem" "$t/ca" ferry-lab-b server
  tls_key "$t/key.pem"; tls_sign "$t/key.pem" "$t/cert.pem" "$t/ca" ferry-lab-client client
  tls_key "$t/expired-key.pem"
  tls_sign "$t/expired-key.pem" "$t/expired-cert.pem" "$t/ca" ferry-lab-client-expired client \
    -startdate 20200101000000Z -enddate 20210101000000Z
  tls_ca "$t/other-ca" "Ferry lab other CA"
  tls_key "$t/other-key.pem"; tls_sign "$t/other-key.pem" "$t/other-cert.pem" "$t/other-ca" ferry-lab-client-other-ca client
}

# ---------------------------------------------------------------------------------------------
# SSH for host B: the lab's own sshd instances (never the system's sshd, which may not exist), on
# 127.0.0.1 only, key-only logins for two users: SSH_USER (group SSH_GROUP, which owns B's socket;
# its DOCKER_HOST points there) and SSH_USER_NODOCKER (no docker on its PATH).
setup_ssh_users() {
  getent group "$SSH_GROUP" >/dev/null || groupadd --system "$SSH_GROUP"
  local u k
  for u in "$SSH_USER" "$SSH_USER_NODOCKER"; do
    getent passwd "$u" >/dev/null && continue
    mkdir -p "$LAB_DIR/home"
    useradd --system --gid "$SSH_GROUP" --home-dir "$LAB_DIR/home/$u" --create-home --shell /bin/sh "$u"
    log "made user $u for the lab's sshd"
  done
  # useradd leaves the password "!" (locked), and sshd without PAM refuses locked accounts even
  # for keys: "*" is no password at all, not a lock.
  for u in "$SSH_USER" "$SSH_USER_NODOCKER"; do
    [[ $(getent shadow "$u" | cut -d: -f2) == '*' ]] || usermod -p '*' "$u"
  done
  mkdir -p "$SSH_DIR"; chmod 755 "$SSH_DIR"
  # id_ed25519: Ferry's key (authorized for both users); unknown_ed25519: authorized for no one.
  for k in id_ed25519 unknown_ed25519 host_ed25519 host_rekeyed_ed25519; do
    [[ -s $SSH_DIR/$k ]] || ssh-keygen -q -t ed25519 -N '' -C "ferry-lab $k" -f "$SSH_DIR/$k"
    chmod 600 "$SSH_DIR/$k"
  done
  for u in "$SSH_USER" "$SSH_USER_NODOCKER"; do
    write_if_changed "$SSH_DIR/authorized_keys.$u" "$(cat "$SSH_DIR/id_ed25519.pub")"
    chmod 644 "$SSH_DIR/authorized_keys.$u"
  done
}

write_sshd_config() { # file port host-key pidfile
  write_if_changed "$1" "# Ferry lab: host B over SSH. Written by scripts/lab.sh; not the system's sshd.
ListenAddress 127.0.0.1
Port $2
HostKey $3
PidFile $4
AuthorizedKeysFile $SSH_DIR/authorized_keys.%u
AllowUsers $SSH_USER $SSH_USER_NODOCKER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
# Each HTTP connection Ferry opens is one session channel running docker system dial-stdio.
MaxSessions 64
LogLevel VERBOSE
Match User $SSH_USER
  SetEnv DOCKER_HOST=unix://$SOCK_B
Match User $SSH_USER_NODOCKER
  SetEnv PATH=/nonexistent"
}

ssh_b() { # port command...: as SSH_USER with the lab's key, host keys not recorded anywhere
  local port=$1; shift
  timeout 15 ssh -q -i "$SSH_DIR/id_ed25519" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "$SSH_USER@127.0.0.1" "$@"
}

start_sshd() { # name port host-key
  local name=$1 port=$2 key=$3
  local config=$LAB_ETC/sshd-$name.conf pidfile=$RUN_DIR/sshd-$name.pid
  mkdir -p "$RUN_DIR" "$LAB_DIR/logs" /run/sshd; chmod 755 /run/sshd
  write_sshd_config "$config" "$port" "$key" "$pidfile"
  /usr/sbin/sshd -t -f "$config" || die "sshd $name: its configuration $config is invalid"
  local pid; pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == sshd ]]; then
    if ! config_changed "$pid" "$config" "sshd-$name" && ssh_b "$port" true 2>/dev/null; then log "sshd $name: running on 127.0.0.1:$port (pid $pid)"; return; fi
    kill "$pid"; for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    log "sshd $name: stopped (pid $pid) to apply $config"
  fi
  # -D: stays in the foreground of its own session; keeps no descriptor of this script.
  setsid bash -c "$CLOSE_FDS"'; exec /usr/sbin/sshd -D -f "$1" -E "$2"' sshd "$config" "$LAB_DIR/logs/sshd-$name.log" </dev/null >/dev/null 2>&1 &
  record_config $! "$config" "sshd-$name"
  local i
  for i in $(seq 1 50); do
    ssh_b "$port" true 2>/dev/null && { log "sshd $name: up on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; }
    sleep 0.2
  done
  die "sshd $name: no key login on 127.0.0.1:$port; see $LAB_DIR/logs/sshd-$name.log"
}

start_sshds() {
  start_sshd b "$SSH_PORT_B" "$SSH_DIR/host_ed25519"
  start_sshd b-rekeyed "$SSH_PORT_REKEYED" "$SSH_DIR/host_rekeyed_ed25519"
  # What dockerode does over ssh: `docker system dial-stdio` on the remote, HTTP through its stdio.
  # Only its stdout is the answer: dial-stdio may log "error while CloseWrite" on stderr once the
  # daemon has closed the connection, which is harmless (and has no newline before it).
  local answer errfile
  errfile=$(mktemp)
  answer=$(printf 'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n' | ssh_b "$SSH_PORT_B" docker system dial-stdio 2>"$errfile" | tr -d '\r' | tail -1) || true
  [[ $answer == OK ]] || die "ssh $SSH_USER@127.0.0.1:$SSH_PORT_B: docker system dial-stdio did not reach host B (got: $answer; $(head -c 300 "$errfile"))"
  rm -f "$errfile"
  log "host B over ssh: docker system dial-stdio answers /_ping"
}

stop_sshds() {
  local f pid
  for f in "$RUN_DIR"/sshd-*.pid; do
    [[ -e $f ]] || continue
    pid=$(cat "$f")
    if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == sshd ]]; then kill "$pid"; log "stopped $(basename "$f" .pid) (pid $pid)"; fi
    rm -f "$f"
  done
}

# ---------------------------------------------------------------------------------------------
# The counter image: busybox-static only, prints 1, 2, 3 ... once a second
build_image() {
  if dk_a image inspect "$IMAGE" >/dev/null 2>&1 && dk_b image inspect "$IMAGE" >/dev/null 2>&1 \
    && dk_c image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE present on hosts A, B and C"; return
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
  local h
  for h in b c; do
    if ! "dk_$h" image inspect "$IMAGE" >/dev/null 2>&1; then
      log "copying $IMAGE to host ${h^^}"
      dk_a save "$IMAGE" | "dk_$h" load >/dev/null
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Real server images built from Debian bookworm's own packages (no registry is reachable): each
# rootfs is a server package and its dependency closure unpacked with dpkg -x, plus
# busybox-static for a shell and small tools (wget, nc, sleep ...), then docker import. Built on
# host A only, never loaded on B: moving one of them must also copy a real multi-megabyte image.
readonly SERVER_IMAGES=(ferry/redis:lab ferry/nginx:lab ferry/postgres:lab)
readonly DEB_CACHE=$LAB_DIR/debs               # downloaded .debs, kept so that rebuilds are fast
# Dependencies left out of the server images, with everything only they pull in. They serve
# package maintainer scripts and system integration (users, debconf, init scripts, the perl
# wrappers around pg_ctl and psql), never the servers. locales: the servers run in the C locale
# (initdb --no-locale). libllvm14 (110 MB): only postgres's JIT, which the image turns off.
readonly DEB_SKIP=(adduser passwd debconf cdebconf dpkg tar install-info init-system-helpers lsb-base
  sysvinit-utils usrmerge usr-is-merged ucf ssl-cert perl perl-base locales locales-all iproute2 libllvm14)
# Users of the images; Debian creates them in maintainer scripts, which dpkg -x does not run.
readonly SERVER_PASSWD='root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
postgres:x:101:101:PostgreSQL administrator:/var/lib/postgresql:/bin/sh
redis:x:102:102:redis:/var/lib/redis:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'
readonly SERVER_GROUP='root:x:0:
www-data:x:33:
postgres:x:101:
redis:x:102:
nogroup:x:65534:'
readonly SERVER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# apt-cache depends of a batch of packages -> the dependencies apt would pick that are not yet
# known: for "a | b" the first alternative, for a virtual package its first provider, nothing
# when a known package already satisfies the dependency. (apt-cache depends --recurse would list
# every alternative: for postgres both locales and the 220 MB locales-all.)
# shellcheck disable=SC2016
readonly DEPS_AWK='
BEGIN { n = split(known, k, "\n"); for (i = 1; i <= n; i++) have[k[i]] = 1 }
function norm(s) { sub(/:(any|amd64)$/, "", s); return s }
function flush(   i, j, c, m, pick) {
  for (i = 1; i <= ng; i++) { c = split(opt[i], m, " "); for (j = 1; j <= c; j++) if (m[j] in have) { ng = 0; return } }
  pick = ""
  for (i = 1; i <= ng && pick == ""; i++) { c = split(opt[i], m, " "); if (c) pick = m[1] }
  if (pick != "") { have[pick] = 1; print pick }
  ng = 0
}
/^[^ ]/ { flush(); open = 0; next }
/^ [ |](Pre)?Depends: / {
  if (!open) flush()
  open = ($0 ~ /^ \|/); name = $2; ng++
  if (name ~ /^</) { virt = 1; opt[ng] = "" } else { virt = 0; opt[ng] = norm(name) }
  next
}
/^    [^ ]/ { if (virt) opt[ng] = opt[ng] " " norm($1); next }
/^  / { if (!open) flush(); virt = 0 }
END { flush() }'

deb_closure() { # packages... -> those packages and their dependency closure minus DEB_SKIP, one a line
  local -A have=() skip=()
  local p todo=("$@") next=()
  for p in "${DEB_SKIP[@]}"; do skip[$p]=1; done
  for p in "$@"; do have[$p]=1; done
  while ((${#todo[@]})); do
    next=()
    mapfile -t next < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${todo[@]}" \
      | awk -v known="$(printf '%s\n' "${!have[@]}" "${!skip[@]}")" "$DEPS_AWK")
    todo=()
    for p in "${next[@]}"; do
      [[ -n ${have[$p]:-} || -n ${skip[$p]:-} ]] && continue
      have[$p]=1; todo+=("$p")
    done
  done
  printf '%s\n' "${!have[@]}" | sort
}

fetch_debs() { # packages... -> paths of their .deb files in DEB_CACHE, downloading what is missing
  mkdir -p "$DEB_CACHE"
  local uris
  # Names of the candidate versions' files (apt-get download saves them under the same names).
  if ! uris=$(apt-get download --print-uris "$@" 2>&1); then
    log "apt's package lists are missing or stale; apt-get update" >&2
    apt-get update -qq >&2 || die "apt-get update failed"
    uris=$(apt-get download --print-uris "$@" 2>&1) || die "apt-get download --print-uris: $(tail -3 <<<"$uris")"
  fi
  local files=() missing=() f
  mapfile -t files < <(awk '/^\x27/ {print $2}' <<<"$uris")  # lines: 'URI' file size hash
  ((${#files[@]} == $#)) || die "apt found ${#files[@]} of $# packages: $(tr '\n' ' ' <<<"$uris" | cut -c1-300)"
  for f in "${files[@]}"; do [[ -s $DEB_CACHE/$f ]] || missing+=("${f%%_*}"); done
  if ((${#missing[@]})); then
    log "downloading ${#missing[@]} packages from Debian bookworm into $DEB_CACHE" >&2
    (cd "$DEB_CACHE" && apt-get download "${missing[@]}" >/dev/null 2>&1) \
      || die "apt-get download failed for some of: ${missing[*]}"
  fi
  for f in "${files[@]}"; do
    [[ -s $DEB_CACHE/$f ]] || die "$DEB_CACHE/$f is missing after apt-get download"
    echo "$DEB_CACHE/$f"
  done
}

make_rootfs() { # dir packages...: the packages' closure unpacked, busybox, users, ld.so.cache
  local root=$1; shift
  local pkgs debs f a
  mapfile -t pkgs < <(deb_closure "$@" busybox-static)
  mapfile -t debs < <(fetch_debs "${pkgs[@]}")
  ((${#debs[@]} == ${#pkgs[@]})) || die "could not fetch the packages for $*"
  log "unpacking ${#debs[@]} packages ($(du -cb "${debs[@]}" | awk 'END {printf "%.0f MB", $1/1048576}')) into $root"
  rm -rf "$root"; mkdir -p "$root"
  for f in "${debs[@]}"; do dpkg -x "$f" "$root"; done
  # Not merged-/usr: bookworm's packages still ship /bin, /lib and /usr/bin, /usr/lib side by side.
  for a in $("$root/bin/busybox" --list); do
    [[ -e $root/bin/$a || -e $root/usr/bin/$a || -e $root/sbin/$a || -e $root/usr/sbin/$a ]] || ln -s busybox "$root/bin/$a"
  done
  mkdir -p "$root"/{etc,tmp,var/tmp,run,root,proc,sys,dev}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  [[ -e $root/var/run ]] || ln -s /run "$root/var/run"
  echo "$SERVER_PASSWD" >"$root/etc/passwd"
  echo "$SERVER_GROUP" >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
  # libc6 puts libraries in /lib/x86_64-linux-gnu, the rest in /usr/lib/x86_64-linux-gnu: a
  # cache for the loader, as the libc-bin trigger would have made.
  echo 'include /etc/ld.so.conf.d/*.conf' >"$root/etc/ld.so.conf"
  ldconfig -r "$root" || die "ldconfig for $root failed"
}

import_rootfs() { # dir image --change...: tar the rootfs into an image on host A
  local root=$1 image=$2; shift 2
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  tar --numeric-owner -C "$root" -cf - . | dk_a import "${changes[@]}" - "$image" >/dev/null \
    || die "docker import of $image failed"
}

# Redis: data only in memory (no RDB snapshots, no AOF), TCP on 127.0.0.1:6379 and a unix socket.
build_redis() {
  local image=ferry/redis:lab root=$LAB_DIR/rootfs-redis
  make_rootfs "$root" redis-server redis-tools
  mkdir -p "$root/etc/redis" "$root/var/lib/redis" "$root/run/redis"
  cat >"$root/etc/redis/redis.conf" <<'EOF'
# Ferry lab: Debian's redis-server, data only in memory, nothing written to disk.
bind 127.0.0.1
port 6379
protected-mode yes
unixsocket /run/redis/redis.sock
unixsocketperm 770
daemonize no
supervised no
loglevel notice
logfile ""
save ""
appendonly no
dir /var/lib/redis
EOF
  chown 102:102 "$root/var/lib/redis" "$root/run/redis"
  import_rootfs "$root" "$image" "ENV PATH=$SERVER_PATH" 'USER redis' 'WORKDIR /var/lib/redis' \
    'ENTRYPOINT ["/usr/bin/redis-server"]' 'CMD ["/etc/redis/redis.conf"]' 'EXPOSE 6379' \
    'LABEL org.opencontainers.image.title=ferry-redis'
  rm -rf "$root"
}

# nginx: a master (root) and 2 workers (www-data) serving /srv/www on 127.0.0.1:8080, logs to
# the container's stdout/stderr.
build_nginx() {
  local image=ferry/nginx:lab root=$LAB_DIR/rootfs-nginx
  make_rootfs "$root" nginx
  mkdir -p "$root/srv/www" "$root/var/log/nginx" "$root"/var/lib/nginx/{body,fastcgi,proxy,scgi,uwsgi}
  chown 33:33 "$root"/var/lib/nginx/*
  cat >"$root/etc/nginx/nginx.conf" <<'EOF'
# Ferry lab: Debian's nginx serving /srv/www on 127.0.0.1:8080, logging to stdout/stderr.
user www-data;
worker_processes 2;
daemon off;
pid /run/nginx.pid;
error_log stderr notice;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  sendfile on;
  server {
    listen 127.0.0.1:8080 default_server;
    root /srv/www;
    index index.html;
  }
}
EOF
  cat >"$root/srv/www/index.html" <<'EOF'
<!doctype html>
<html><head><title>Ferry lab nginx</title></head>
<body><h1>Ferry lab nginx</h1><p>Served by Debian's nginx inside ferry/nginx:lab.</p></body></html>
EOF
  # -e stderr: nginx opens its error log before it reads the configuration; without it, it
  # creates /var/log/nginx/error.log first.
  import_rootfs "$root" "$image" "ENV PATH=$SERVER_PATH" 'WORKDIR /srv/www' \
    'ENTRYPOINT ["/usr/sbin/nginx","-e","stderr"]' 'EXPOSE 8080' \
    'LABEL org.opencontainers.image.title=ferry-nginx'
  rm -rf "$root"
}

# PostgreSQL 15: the cluster is made at image build (initdb in a container on host A, whose
# filesystem is then exported into the image), so a container starts with nothing to create.
# Trust authentication, TCP on 127.0.0.1:5432 and the unix socket in /run/postgresql, runs as
# postgres, logs to stderr.
build_postgres() {
  local image=ferry/postgres:lab base=ferry/postgres:lab-base root=$LAB_DIR/rootfs-postgres
  local bin=/usr/lib/postgresql/15/bin data=/var/lib/postgresql/data
  make_rootfs "$root" postgresql-15 postgresql-client-15
  # The JIT provider needs libllvm14, left out (DEB_SKIP); jit = off below.
  rm -rf "$root"/usr/lib/postgresql/15/lib/llvmjit* "$root"/usr/lib/postgresql/15/lib/bitcode
  mkdir -p "$root/run/postgresql" "$root/var/lib/postgresql"
  chown 101:101 "$root/run/postgresql" "$root/var/lib/postgresql"; chmod 2775 "$root/run/postgresql"
  import_rootfs "$root" "$base" "ENV PATH=$bin:$SERVER_PATH" 'USER postgres'
  rm -rf "$root"
  local name=ferry-lab-build-postgres-$$
  dk_a rm -f "$name" >/dev/null 2>&1 || true
  log "initdb in a container on host A"
  dk_a run --name "$name" --network none --label "$LABEL" "$base" /bin/sh -c "
    set -e
    initdb -D $data --username=postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
    cat >>$data/postgresql.conf <<'EOF'

# Ferry lab
listen_addresses = '127.0.0.1'
port = 5432
unix_socket_directories = '/run/postgresql'
# stderr only: docker logs shows it, and no log file changes inside the container
logging_collector = off
# the image leaves out LLVM (postgres's JIT provider)
jit = off
EOF" >"$LAB_DIR/logs/build-postgres.log" 2>&1 \
    || { dk_a rm -f "$name" >/dev/null; die "initdb for $image failed: $(tail -5 "$LAB_DIR/logs/build-postgres.log")"; }
  # export | import rather than commit: one layer, and no untagged parent image left behind.
  dk_a export "$name" | dk_a import --change "ENV PATH=$bin:$SERVER_PATH" --change "ENV PGDATA=$data" \
    --change 'USER postgres' --change 'WORKDIR /var/lib/postgresql' --change "ENTRYPOINT [\"$bin/postgres\"]" \
    --change 'EXPOSE 5432' --change 'LABEL org.opencontainers.image.title=ferry-postgres' - "$image" >/dev/null \
    || { dk_a rm -f "$name" >/dev/null; die "docker export | import of $image failed"; }
  dk_a rm -f "$name" >/dev/null
  dk_a rmi "$base" >/dev/null
}

build_server_images() {
  local image
  for image in "${SERVER_IMAGES[@]}"; do
    if dk_a image inspect "$image" >/dev/null 2>&1; then log "image $image present on host A"; continue; fi
    local t=$SECONDS
    log "building $image on host A from Debian bookworm packages"
    case $image in
      ferry/redis:lab) build_redis ;;
      ferry/nginx:lab) build_nginx ;;
      ferry/postgres:lab) build_postgres ;;
    esac
    log "built $image: $(dk_a image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}') in $((SECONDS - t)) s"
  done
}

# ---------------------------------------------------------------------------------------------
# Self-test: checkpoint a counter on A, restore it on B, the counter must continue.
last_number() { docker -H "unix://$1" logs "$2" 2>&1 | grep -E '^[0-9]+$' | tail -1; }
first_number() { docker -H "unix://$1" logs "$2" 2>&1 | grep -E '^[0-9]+$' | head -1; }

# CRIU's first real error from a failed checkpoint: its log stays in the container's task
# directory while the container exists (docker itself only says "criu failed").
criu_dump_error() { # exec-root container-id
  grep -h 'Error (' "$1/containerd/daemon/io.containerd.runtime.v2.task/moby/$2/criu-dump.log" 2>/dev/null \
    | grep -v -e RLIMIT_NOFILE -e 'Dumping FAILED' -e 'failed with -1' | head -2 | sed 's/^([0-9. ]*) //' | tr '\n' ' ' || true
}

self_test() {
  local name="ferry-lab-selftest-$$" cp="selftest"
  local dir="$LAB_DIR/selftest-cp"
  log "self-test: checkpoint on A, restore on B (CRIU $(criu_version_for a | cut -d' ' -f1) on A, $(criu_version_for b | cut -d' ' -f1) on B)"
  dk_a rm -f "$name" >/dev/null 2>&1 || true
  dk_b rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$dir"; mkdir -p "$dir"
  # As nobody, not root: real servers run under their own uids, and dumping those is what fails
  # where root lacks CAP_SYS_RESOURCE without criu's prlimit shim.
  dk_a run -d --name "$name" --hostname "$name" --user 65534:65534 --network none --label "$LABEL" "$IMAGE" >/dev/null
  sleep 3
  if ! dk_a checkpoint create --checkpoint-dir "$dir" "$name" "$cp" >/dev/null; then
    local cause; cause=$(criu_dump_error /var/run/docker "$(dk_a inspect -f '{{.Id}}' "$name")")
    dk_a rm -f "$name" >/dev/null
    die "self-test: checkpoint on host A failed: ${cause:-see the message from docker above}"
  fi
  local last_a; last_a=$(last_number "$SOCK_A" "$name")
  local id_b; id_b=$(dk_b create --name "$name" --hostname "$name" --user 65534:65534 --network none --label "$LABEL" "$IMAGE")
  mkdir -p "$DATA_ROOT_B/containers/$id_b/checkpoints"
  cp -a "$dir/$cp" "$DATA_ROOT_B/containers/$id_b/checkpoints/"
  if ! dk_b start --checkpoint "$cp" "$name" >/dev/null; then
    dk_a rm -f "$name" >/dev/null; dk_b rm -f "$name" >/dev/null
    die "self-test: restore on host B failed (add 'log-file /tmp/criu-restore.log' below the local marker in $CRIU_CONFIG to see why)"
  fi
  sleep 2
  local first_b; first_b=$(first_number "$SOCK_B" "$name")
  dk_a rm -f "$name" >/dev/null; dk_b rm -f "$name" >/dev/null; rm -rf "$dir"
  [[ -n $last_a && -n $first_b ]] || die "self-test: no counter output (A: '$last_a', B: '$first_b')"
  ((first_b == last_a + 1)) || die "self-test: counter did not continue (A ended at $last_a, B began at $first_b)"
  log "self-test passed: A counted to $last_a, B went on from $first_b"
}

# containerd 1.6 (Docker 20.10: hosts A, B, C) unpacks every checkpoint it restores into a
# directory of its own, ctrd-checkpoint<N> in its temp dir (/tmp), and never removes it
# (containerd#10166): each restore leaves the process's whole memory image behind. The newer
# containerds of D and E do not. Ferry removes the copies of its own restores
# (lib/migration/restore-copies.ts); restores outside it (this script's self-test, lab-pairs.sh,
# compat.sh, a dashboard killed mid-batch) leave theirs. A development machine had gathered 11,175
# (61 GB). They are garbage once the restore call has returned: `up` removes those older than an hour.
clear_restore_leftovers() {
  local old size
  mapfile -t old < <(find /tmp -maxdepth 1 -name 'ctrd-checkpoint*' -type d -mmin +60)
  ((${#old[@]} > 0)) || return 0
  size=$(du -scm "${old[@]}" | tail -1 | cut -f1)
  rm -rf "${old[@]}"
  log "removed ${#old[@]} checkpoint images containerd had left in /tmp after restores ($size MB; containerd#10166)"
}

# Docker 20.10 cannot checkpoint a container that was already running when its daemon started:
# the daemon live-restored it and lost its runtime options (moby#41531, "invalid task checkpoint
# option"). The lab's own containers (label ferry.lab=1: counters, demo servers) that predate their
# daemon are restarted once, so the demo can move them; nothing else is touched.
restart_live_restored() { # name sock
  local name=$1 sock=$2 pid since c started test stale=()
  pid=$(cat "$RUN_DIR/dockerd-$name.pid" 2>/dev/null) || return 0
  since=$(date -d "$(ps -o lstart= -p "$pid" 2>/dev/null)" +%s 2>/dev/null) || return 0
  for c in $(docker -H "unix://$sock" ps -q --filter "label=$LABEL"); do
    # A test's container is the test's business (the fault suite restarts daemons under its own).
    read -r started test < <(docker -H "unix://$sock" inspect -f '{{.State.StartedAt}} {{index .Config.Labels "ferry.test"}}' "$c")
    [[ $test == 1 ]] && continue
    (($(date -d "$started" +%s) < since)) && stale+=("$c")
  done
  ((${#stale[@]})) || return 0
  log "host $name: restarting ${#stale[@]} lab container(s) that were running before its daemon started (Docker 20.10 cannot checkpoint them: moby#41531)"
  docker -H "unix://$sock" restart -t 1 "${stale[@]}" >/dev/null
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
  local containers=0 selftest=1 servers=1 newer=1
  while (($#)); do
    case $1 in
      --containers) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--containers needs a number"; containers=$2; shift 2 ;;
      --containers=*) containers=${1#*=}; [[ $containers =~ ^[0-9]+$ ]] || die "--containers needs a number"; shift ;;
      --no-self-test) selftest=0; shift ;;
      --no-servers) servers=0; shift ;;
      --no-newer) newer=0; shift ;;
      *) die "unknown option '$1' (use --containers N, --no-self-test, --no-servers, --no-newer)" ;;
    esac
  done
  require_root
  local t0=$SECONDS
  trap private_apt_cleanup EXIT
  install_packages
  install_criu
  setup_tls
  setup_ssh_users
  start_daemons
  start_sshds
  clear_restore_leftovers
  restart_live_restored A "$SOCK_A"
  restart_live_restored B "$SOCK_B"
  restart_live_restored C "$SOCK_C"
  build_image
  ((servers)) && build_server_images
  if ((selftest)); then
    if [[ -f $RUN_DIR/selftest.ok ]] && [[ $(cat "$RUN_DIR/selftest.ok") == "$(pids_fingerprint)" ]]; then
      log "self-test already passed against these daemons"
    else
      self_test; pids_fingerprint >"$RUN_DIR/selftest.ok"
    fi
  fi
  ((containers > 0)) && start_containers "$containers"
  # The newer Dockers come last: whatever happens to them, A, B and C are up and tested by then.
  local newer_note=''
  if ((newer)); then
    newer_hosts_up
    local h; for h in "${NEWER_HOSTS[@]}"; do
      if [[ " ${NEWER_FAILED[*]} " == *" $h "* ]]; then newer_note+="; host $h NOT UP"
      else newer_note+="; host $h unix://$(newer_sock "$h") (docker ${NEWER_DOCKER[$h]})"; fi
    done
  fi
  private_apt_cleanup
  log "lab ready in $((SECONDS - t0)) s: host A unix://$SOCK_A; host B unix://$SOCK_B," \
    "tcp://127.0.0.1:$TLS_PORT_B (TLS), ssh://$SSH_USER@127.0.0.1:$SSH_PORT_B; host C unix://$SOCK_C$newer_note"
}

pids_fingerprint() {
  echo "$LAB_VERSION:$(docker -H "unix://$SOCK_A" info --format '{{.ID}}' 2>/dev/null)/$(cat /run/docker.pid 2>/dev/null)|$(cat /run/ferry-lab-b.pid 2>/dev/null)"
}

cmd_down() {
  require_root
  for sock in "$SOCK_A" "$SOCK_B" "$SOCK_C" "$(newer_sock D)" "$(newer_sock E)"; do
    if daemon_up "$sock"; then
      local ids; ids=$(docker -H "unix://$sock" ps -aq --filter "label=$LABEL")
      [[ -n $ids ]] && docker -H "unix://$sock" rm -f $ids >/dev/null && log "removed lab containers on unix://$sock"
    fi
  done
  local f
  for f in "$RUN_DIR"/dockerd-*.pid; do
    [[ -e $f ]] || continue
    stop_dockerd "$(cat "$f")" "dockerd $(basename "$f" .pid)"
    rm -f "$f"
  done
  stop_sshds
  rm -f "$RUN_DIR/selftest.ok" "$RUN_DIR"/config-*
}

up_or_down() { if [[ -n $1 ]]; then echo "up, docker $1"; else echo down; fi; }
cmd_status() {
  local triple
  for triple in "A:$SOCK_A:/etc/docker/daemon.json" "B:$SOCK_B:$LAB_ETC/daemon-b.json" "C:$SOCK_C:$LAB_ETC/daemon-c.json" \
    "D:$(newer_sock D):$(newer_config D)" "E:$(newer_sock E):$(newer_config E)"; do
    local n=${triple%%:*} rest=${triple#*:}; local s=${rest%%:*} config=${rest#*:}
    local origin='' h
    for h in "${NEWER_HOSTS[@]}"; do
      [[ $h == "$n" ]] && origin="; $(newer_prefix "$h"): $(cat "$(newer_prefix "$h")/ferry-lab-source" 2>/dev/null || echo "docker ${NEWER_DOCKER[$h]}, not unpacked"), with bookworm's runc"
    done
    if daemon_up "$s"; then
      local pid note=''; pid=$(daemon_pid "$config")
      [[ -n $pid ]] && daemon_env_ok "$pid" "${n,,}" \
        || note=' (WARNING: this dockerd has no FERRY_LAB_HOST: it gets the default criu; run lab.sh up)'
      local v info
      v=$(docker -H "unix://$s" version --format \
        '{{.Server.Version}} (API {{.Server.APIVersion}}){{range .Server.Components}}{{if eq .Name "containerd" "runc"}}, {{.Name}} {{.Version}}{{end}}{{end}}' 2>/dev/null) || v='?'
      info=$(docker -H "unix://$s" info --format 'kernel {{.KernelVersion}}, {{.ContainersRunning}} running containers' 2>/dev/null) || info='?'
      log "host $n: up on unix://$s: docker $v, criu $(criu_version_for "${n,,}"), $info$origin$note"
    elif [[ -e $config ]]; then
      log "host $n: down on unix://$s${origin:+ (${origin#; })}; its criu would be $(criu_version_for "${n,,}")"
    else
      log "host $n: not set up (unix://$s${origin:+; ${origin#; }}); 'lab.sh up' brings it up"
    fi
  done
  # Host B's other endpoints, each asked for the daemon's version through that endpoint.
  local v
  v=$(docker --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/cert.pem" --tlskey "$TLS_DIR/key.pem" \
    -H "tcp://127.0.0.1:$TLS_PORT_B" version --format '{{.Server.Version}}' 2>/dev/null) || v=''
  log "host B: tcp://127.0.0.1:$TLS_PORT_B (mutual TLS, $TLS_DIR): $(up_or_down "$v")"
  v=$(ssh_b "$SSH_PORT_B" docker version --format '{{.Server.Version}}' 2>/dev/null) || v=''
  log "host B: ssh://$SSH_USER@127.0.0.1:$SSH_PORT_B (key $SSH_DIR/id_ed25519, OpenSSH" \
    "$(/usr/sbin/sshd -V 2>&1 | awk '{print $1}' | tr -d ,)): $(up_or_down "$v") (docker system dial-stdio)"
  v=$(ssh_b "$SSH_PORT_REKEYED" true 2>/dev/null && echo up) || v=down
  log "host B: ssh://$SSH_USER@127.0.0.1:$SSH_PORT_REKEYED (the same host with another host key, for tests): $v"
  [[ -f $CRIU_CONFIG ]] && log "criu options for runc ($CRIU_CONFIG): $(grep -v '^#' "$CRIU_CONFIG" | grep . | tr '\n' ' ')"
  return 0
}

# Shell assignments with the lab's endpoints and the paths of its TLS and SSH material (all
# readable by root only where they are keys). Tests and the demo register hosts from these.
cmd_env() {
  cat <<ENV
FERRY_LAB_A_ENDPOINT=unix://$SOCK_A
FERRY_LAB_B_ENDPOINT=unix://$SOCK_B
FERRY_LAB_C_ENDPOINT=unix://$SOCK_C
FERRY_LAB_D_ENDPOINT=unix://$(newer_sock D)
FERRY_LAB_E_ENDPOINT=unix://$(newer_sock E)
FERRY_LAB_B_TLS_ENDPOINT=tcp://127.0.0.1:$TLS_PORT_B
FERRY_LAB_TLS_CA=$TLS_DIR/ca.pem
FERRY_LAB_TLS_CERT=$TLS_DIR/cert.pem
FERRY_LAB_TLS_KEY=$TLS_DIR/key.pem
FERRY_LAB_TLS_OTHER_CA=$TLS_DIR/other-ca.pem
FERRY_LAB_TLS_OTHER_CERT=$TLS_DIR/other-cert.pem
FERRY_LAB_TLS_OTHER_KEY=$TLS_DIR/other-key.pem
FERRY_LAB_TLS_EXPIRED_CERT=$TLS_DIR/expired-cert.pem
FERRY_LAB_TLS_EXPIRED_KEY=$TLS_DIR/expired-key.pem
FERRY_LAB_B_SSH_ENDPOINT=ssh://$SSH_USER@127.0.0.1:$SSH_PORT_B
FERRY_LAB_B_SSH_REKEYED_ENDPOINT=ssh://$SSH_USER@127.0.0.1:$SSH_PORT_REKEYED
FERRY_LAB_B_SSH_NODOCKER_ENDPOINT=ssh://$SSH_USER_NODOCKER@127.0.0.1:$SSH_PORT_B
FERRY_LAB_SSH_KEY=$SSH_DIR/id_ed25519
FERRY_LAB_SSH_UNKNOWN_KEY=$SSH_DIR/unknown_ed25519
FERRY_LAB_SSH_HOST_KEY=$SSH_DIR/host_ed25519.pub
FERRY_LAB_SSH_REKEYED_HOST_KEY=$SSH_DIR/host_rekeyed_ed25519.pub
ENV
}

# Points one lab host's checkpoints and restores at another CRIU version. Takes effect with the
# next criu run: the wrapper reads the file each time; the daemon keeps running.
cmd_criu() { # a|b|c|d|e 4.1.1|4.2.1|default
  require_root
  local host=${1:-} v=${2:-}
  host=${host,,}
  [[ $host =~ ^[a-e]$ ]] || die "usage: lab.sh criu <a|b|c|d|e> <$(IFS='|'; echo "${CRIU_VERSIONS[*]}")|default>"
  [[ -x $CRIU_WRAPPER ]] || die "no $CRIU_WRAPPER yet; run scripts/lab.sh up first"
  local file=$LAB_ETC/criu-version-$host
  if [[ $v == default ]]; then
    rm -f "$file"
  elif [[ " ${CRIU_VERSIONS[*]} " == *" $v "* ]]; then
    [[ -x $(criu_prefix "$v")/usr/sbin/criu ]] || die "criu $v is not unpacked in $(criu_prefix "$v"); run scripts/lab.sh up"
    mkdir -p "$LAB_ETC"; echo "$v" >"$file.tmp"; mv "$file.tmp" "$file"
  else
    die "unknown CRIU version '$v' (have: ${CRIU_VERSIONS[*]}, or default)"
  fi
  log "host ${host^^}: criu $(criu_version_for "$host")"
  local config=/etc/docker/daemon.json; [[ $host == a ]] || config=$LAB_ETC/daemon-$host.json
  local pid; pid=$(daemon_pid "$config")
  [[ -z $pid ]] || daemon_env_ok "$pid" "$host" \
    || log "WARNING: host ${host^^}'s dockerd (pid $pid) runs without FERRY_LAB_HOST=$host and keeps the default; run scripts/lab.sh up"
}

main() {
  local cmd=${1:-up}; shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    criu) cmd_criu "$@" ;;
    _newer-host) require_root; install_newer_docker "$1"; start_newer_daemon "$1" ;; # for cmd_up
    --containers*|--no-self-test|--no-servers|--no-newer) cmd_up "$cmd" "$@" ;;
    *) die "unknown command '$cmd' (up, down, status, env, criu)" ;;
  esac
}
main "$@"
