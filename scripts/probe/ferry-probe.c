/*
 * ferry-probe: the program inside Ferry's CRIU probe image (ferry/criu-probe, see
 * lib/migration/probe-image.ts). A static x86-64 Linux program without libc: its own _start and
 * raw system calls, so the image holds this one file and nothing else. scripts/probe/build.sh
 * compiles it and embeds the stripped binary in probe-image.ts.
 *
 * Modes (argv[1]; the image's ENTRYPOINT is ["/ferry-probe"], the mode comes as Cmd):
 *
 *   hold [tcp-listen|tcp-established|unix|pipe|file|threads|all]... [token=STRING]
 *       (also the default without arguments; no feature = all). Holds the requested kinds of
 *       kernel state, prints "ready <features>", then every 200 ms sends one byte through every
 *       held channel and reads it back, and once a second prints "tick <n> <token|->" with n
 *       counting from 1 in memory (so it continues across checkpoint/restore).
 *       "broken <feature>: errno <n>" and exit 3 when a channel fails (errno 0: EOF, wrong byte,
 *       stalled thread); "setup-failed <feature>: errno <n>" and exit 4 when a feature cannot be
 *       set up.
 *   memory <MiB> [seed]
 *       Fills MiB mebibytes of anonymous memory with xorshift64 from seed (default 1; 0 acts as
 *       1), prints "filled <MiB>", then at once and every 3 s "sum <16 hex> <iteration>" (FNV-1a
 *       over the 64-bit words). "broken memory: errno 0" and exit 3 if the sum ever changes.
 *   conns
 *       Lists the TCP connections of the network namespace that are not internal (remote address
 *       loopback, or equal to the local address): "tcp4|tcp6 <STATE> <local> <remote> <inode>",
 *       then "end <count>". Addresses: a.b.c.d:port, or [v6]:port compressed as in RFC 5952.
 *       "error <errno>" and exit 5 on a netlink failure.
 *   close-external
 *       The same enumeration, then SOCK_DESTROY (needs CAP_NET_ADMIN) for each one:
 *       "closed tcpN <local> <remote> <inode>", "failed tcpN <local> <remote> errno <n>",
 *       "gone tcpN <local> <remote> <inode>" (vanished before it could be closed), then
 *       "end <closed> <failed>". Exit 0, 6 if any failed, 5 on a netlink failure.
 *   cat <path>...
 *       Copies files to stdout, each after a line "==> <path>"; a file that cannot be read
 *       gives "==> <path> error <errno>" instead (so one unreadable file does not hide the
 *       others); a last line "==> end". Exit 0.
 *   drop-copies <dir> <hex>...
 *       Removes the directories named ctrd-checkpoint* directly in <dir> whose inventory.img holds
 *       exactly the bytes of one of the hex strings (containerd 1.6 leaves such a copy of every
 *       checkpoint it restores; see lib/migration/restore-copies.ts). Nothing is followed: a
 *       symbolic link is never entered or matched, and no directory deeper than 4 levels is
 *       removed. "dropped <name> <bytes>" for each one removed, "failed <name> errno <n>" for one
 *       that matched but could not be removed whole, then "end <dropped> <bytes> <failed>".
 *       Exit 0; 5 if <dir> cannot be read.
 * Anything else: usage on stderr, exit 2.
 */

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_mmap 9
#define SYS_pread64 17
#define SYS_pipe 22
#define SYS_nanosleep 35
#define SYS_socket 41
#define SYS_connect 42
#define SYS_accept 43
#define SYS_sendto 44
#define SYS_recvfrom 45
#define SYS_bind 49
#define SYS_listen 50
#define SYS_getsockname 51
#define SYS_socketpair 53
#define SYS_setsockopt 54
#define SYS_clone 56
#define SYS_exit 60
#define SYS_mkdir 83
#define SYS_chmod 90
#define SYS_exit_group 231
#define SYS_getdents64 217
#define SYS_openat 257
#define SYS_newfstatat 262
#define SYS_unlinkat 263

#define EINTR 4
#define ENOENT 2

static long sys(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys1(n, a) sys(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

__attribute__((noreturn)) static void quit(int code) {
  for (;;) sys1(SYS_exit_group, code);
}

/* gcc may emit calls to these for struct copies and initialisers. */
void *memset(void *d, int c, u64 n) {
  void *r = d;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return r;
}
void *memcpy(void *d, const void *s, u64 n) {
  void *r = d;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return r;
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call cmain\n"
        "  hlt\n");

/* ---- output: one write(2) per line ---- */

static char obuf[4096];
static u32 olen;

static void os(const char *s) {
  while (*s && olen < sizeof obuf - 1) obuf[olen++] = *s++;
}
static void oc(char c) {
  if (olen < sizeof obuf - 1) obuf[olen++] = c;
}
static void ou(u64 v) {
  char t[20];
  int i = 0;
  do t[i++] = (char)('0' + v % 10); while (v /= 10);
  while (i) oc(t[--i]);
}
static void ox(u64 v, int digits) {
  while (digits--) oc("0123456789abcdef"[(v >> (digits * 4)) & 15]);
}
static void oline(int fd) {
  oc('\n');
  const char *p = obuf;
  while (olen) {
    long r = sys3(SYS_write, fd, p, olen);
    if (r == -EINTR) continue;
    if (r <= 0) break;
    p += r;
    olen -= (u32)r;
  }
  olen = 0;
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static int prefix(const char *s, const char *p) {
  while (*p && *s == *p) s++, p++;
  return !*p;
}
static int parse_u64(const char *s, u64 *out) {
  u64 v = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (~0UL - 9) / 10) return 0;
    v = v * 10 + (u64)(*s - '0');
  }
  *out = v;
  return 1;
}

struct timespec_ {
  long sec, nsec;
};
static void sleep_ns(long sec, long nsec) {
  struct timespec_ t = {sec, nsec};
  sys2(SYS_nanosleep, &t, 0); /* EINTR (e.g. around a checkpoint): just a shorter sleep */
}

__attribute__((noreturn)) static void usage(void) {
  os("usage: ferry-probe hold [tcp-listen|tcp-established|unix|pipe|file|threads|all]... [token=S]\n"
     "       ferry-probe memory <MiB> [seed]\n"
     "       ferry-probe conns\n"
     "       ferry-probe close-external\n"
     "       ferry-probe cat <path>...\n"
     "       ferry-probe drop-copies <dir> <hex>...");
  oline(2);
  quit(2);
}

/* ---- hold ---- */

enum { F_LISTEN = 1, F_EST = 2, F_UNIX = 4, F_PIPE = 8, F_FILE = 16, F_THREADS = 32, F_ALL = 63 };
static const char *const fname[] = {"tcp-listen", "tcp-established", "unix", "pipe", "file", "threads"};

__attribute__((noreturn)) static void fail(const char *what, int feature, long err, int code) {
  os(what);
  os(fname[feature]);
  os(": errno ");
  ou((u64)(err < 0 ? -err : err));
  oline(1);
  quit(code);
}
#define SETUP(feature, expr) \
  ({ long r_ = (expr); if (r_ < 0) fail("setup-failed ", feature, r_, 4); r_; })

struct sockaddr_in_ {
  u16 family, port;
  u32 addr;
  u8 zero[8];
};

static volatile u64 thread_count;

static void thread_main(void) {
  for (;;) {
    sleep_ns(0, 50 * 1000 * 1000);
    __atomic_fetch_add(&thread_count, 1, __ATOMIC_RELAXED);
  }
}

/* clone(2) a thread onto a fresh stack; the child pops thread_main from that stack and calls it. */
static long start_thread(void (*fn)(void), char *stack_top) {
  void **sp = (void **)stack_top - 1;
  *sp = (void *)fn;
  long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; /* VM FS FILES SIGHAND THREAD SYSVSEM */
  register long r10 __asm__("r10") = 0;
  register long r8 __asm__("r8") = 0;
  long ret;
  __asm__ volatile("syscall\n\t"
                   "test %%rax, %%rax\n\t"
                   "jnz 1f\n\t"
                   "xor %%ebp, %%ebp\n\t"
                   "pop %%rax\n\t"
                   "call *%%rax\n\t"
                   "mov $60, %%eax\n\t"
                   "xor %%edi, %%edi\n\t"
                   "syscall\n\t"
                   "hlt\n"
                   "1:"
                   : "=a"(ret)
                   : "a"((long)SYS_clone), "D"(flags), "S"(sp), "d"(0L), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return ret;
}

static long rw_retry(long nr, int fd, void *buf, u64 n) {
  long r;
  do r = sys3(nr, fd, buf, n); while (r == -EINTR);
  return r;
}

/* Sends byte b from fd w and reads it back at fd r. */
static void pass(int w, int r, u8 b, int feature) {
  u8 got = (u8)~b;
  long n = rw_retry(SYS_write, w, &b, 1);
  if (n != 1) fail("broken ", feature, n, 3);
  n = rw_retry(SYS_read, r, &got, 1);
  if (n != 1 || got != b) fail("broken ", feature, n < 0 ? n : 0, 3);
}

static const char file_text[] = "ferry-probe file\n";

static void set_timeouts(int fd, int feature) {
  struct timespec_ tv = {5, 0}; /* struct timeval has the same layout */
  SETUP(feature, sys5(SYS_setsockopt, fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, &tv, sizeof tv));
  SETUP(feature, sys5(SYS_setsockopt, fd, 1, 21 /* SO_SNDTIMEO */, &tv, sizeof tv));
}

__attribute__((noreturn)) static void hold(int argc, char **argv) {
  int mask = 0;
  const char *token = "-";
  for (int i = 2; i < argc; i++) {
    int k;
    if (prefix(argv[i], "token=")) {
      token = argv[i] + 6;
      continue;
    }
    if (streq(argv[i], "all")) {
      mask |= F_ALL;
      continue;
    }
    for (k = 0; k < 6 && !streq(argv[i], fname[k]); k++);
    if (k == 6) usage();
    mask |= 1 << k;
  }
  if (!mask) mask = F_ALL;
  if (!*token) token = "-";

  int lfd = -1, cfd = -1, sfd = -1, u[2], p[2], ffd = -1;
  u16 port = 0;
  if (mask & (F_LISTEN | F_EST)) {
    int f = mask & F_LISTEN ? 0 : 1;
    struct sockaddr_in_ a = {2 /* AF_INET */, 0, 0x0100007f /* 127.0.0.1 */, {0}};
    u32 alen = sizeof a;
    lfd = (int)SETUP(f, sys3(SYS_socket, 2, 1 /* SOCK_STREAM */, 0));
    SETUP(f, sys3(SYS_bind, lfd, &a, sizeof a));
    SETUP(f, sys2(SYS_listen, lfd, 8));
    SETUP(f, sys3(SYS_getsockname, lfd, &a, &alen));
    port = a.port;
    if (mask & F_EST) {
      int one = 1;
      cfd = (int)SETUP(1, sys3(SYS_socket, 2, 1, 0));
      SETUP(1, sys3(SYS_connect, cfd, &a, sizeof a));
      sfd = (int)SETUP(1, sys3(SYS_accept, lfd, 0, 0));
      SETUP(1, sys5(SYS_setsockopt, cfd, 6 /* IPPROTO_TCP */, 1 /* TCP_NODELAY */, &one, sizeof one));
      SETUP(1, sys5(SYS_setsockopt, sfd, 6, 1, &one, sizeof one));
      set_timeouts(cfd, 1);
      set_timeouts(sfd, 1);
    }
    if (!(mask & F_LISTEN)) {
      sys1(SYS_close, lfd);
      lfd = -1;
    }
  }
  if (mask & F_UNIX) {
    SETUP(2, sys4(SYS_socketpair, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, u));
    set_timeouts(u[0], 2);
    set_timeouts(u[1], 2);
  }
  if (mask & F_PIPE) SETUP(3, sys1(SYS_pipe, p));
  if (mask & F_FILE) {
    if (sys2(SYS_mkdir, "/tmp", 01777) == 0) sys2(SYS_chmod, "/tmp", 01777); /* mkdir obeys umask */
    ffd = (int)sys3(SYS_open, "/tmp/ferry-probe-file", 02 | 0100 | 01000 /* O_RDWR|O_CREAT|O_TRUNC */, 0644);
    if (ffd < 0) ffd = (int)SETUP(4, sys3(SYS_open, "/ferry-probe-file", 02 | 0100 | 01000, 0644));
    long n = SETUP(4, sys3(SYS_write, ffd, file_text, sizeof file_text - 1));
    if (n != sizeof file_text - 1) fail("setup-failed ", 4, 0, 4);
  }
  if (mask & F_THREADS) {
    long stack = sys(SYS_mmap, 0, 65536, 3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    if (stack < 0 && stack > -4096) fail("setup-failed ", 5, stack, 4);
    SETUP(5, start_thread(thread_main, (char *)stack + 65536));
  }

  os("ready");
  for (int k = 0; k < 6; k++)
    if (mask & (1 << k)) oc(' '), os(fname[k]);
  oline(1);

  u64 iteration = 0, ticks = 0, last_count = thread_count;
  for (;;) {
    sleep_ns(0, 200 * 1000 * 1000);
    u8 b = (u8)++iteration;
    if (mask & F_EST) pass(cfd, sfd, b, 1), pass(sfd, cfd, (u8)~b, 1);
    if (mask & F_UNIX) pass(u[0], u[1], b, 2), pass(u[1], u[0], (u8)~b, 2);
    if (mask & F_PIPE) pass(p[1], p[0], b, 3);
    if (mask & F_FILE) {
      char got[sizeof file_text];
      long n = sys4(SYS_pread64, ffd, got, sizeof got, 0);
      if (n < 0) fail("broken ", 4, n, 3);
      if (n != sizeof file_text - 1) fail("broken ", 4, 0, 3);
      for (int i = 0; i < n; i++)
        if (got[i] != file_text[i]) fail("broken ", 4, 0, 3);
    }
    if (iteration % 5) continue;
    if (mask & F_LISTEN) {
      struct sockaddr_in_ a;
      u32 alen = sizeof a;
      long r = sys3(SYS_getsockname, lfd, &a, &alen);
      if (r < 0) fail("broken ", 0, r, 3);
      if (a.port != port) fail("broken ", 0, 0, 3);
    }
    if (mask & F_THREADS) {
      u64 c = thread_count;
      if (c == last_count) fail("broken ", 5, 0, 3);
      last_count = c;
    }
    os("tick ");
    ou(++ticks);
    oc(' ');
    os(token);
    oline(1);
  }
}

/* ---- memory ---- */

static u64 fnv(const u64 *w, u64 n) {
  u64 h = 0xcbf29ce484222325UL;
  for (u64 i = 0; i < n; i++) h = (h ^ w[i]) * 0x100000001b3UL;
  return h;
}

__attribute__((noreturn)) static void memory(int argc, char **argv) {
  u64 mib, seed = 1;
  if (argc < 3 || argc > 4 || !parse_u64(argv[2], &mib) || !mib || mib > (1UL << 20)) usage();
  if (argc == 4 && !parse_u64(argv[3], &seed)) usage();
  if (!seed) seed = 1;
  u64 words = mib << 17;
  long m = sys(SYS_mmap, 0, (long)(mib << 20), 3, 0x22, -1, 0);
  if (m < 0 && m > -4096) {
    os("setup-failed memory: errno ");
    ou((u64)-m);
    oline(1);
    quit(4);
  }
  u64 *w = (u64 *)m, x = seed;
  for (u64 i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w[i] = x;
  }
  os("filled ");
  ou(mib);
  oline(1);
  u64 first = fnv(w, words);
  for (u64 iteration = 1;; iteration++) {
    u64 s = iteration == 1 ? first : fnv(w, words);
    os("sum ");
    ox(s, 16);
    oc(' ');
    ou(iteration);
    oline(1);
    if (s != first) {
      os("broken memory: errno 0");
      oline(1);
      quit(3);
    }
    sleep_ns(3, 0);
  }
}

/* ---- conns / close-external: NETLINK_SOCK_DIAG ---- */

struct nlmsghdr_ {
  u32 len;
  u16 type, flags;
  u32 seq, pid;
};
struct sockid_ {
  u16 sport, dport; /* network byte order */
  u32 src[4], dst[4];
  u32 ifindex;
  u32 cookie[2];
};
struct diag_req_ { /* struct inet_diag_req_v2 */
  struct nlmsghdr_ h;
  u8 family, protocol, ext, pad;
  u32 states;
  struct sockid_ id;
};
struct diag_msg_ { /* struct inet_diag_msg */
  u8 family, state, timer, retrans;
  struct sockid_ id;
  u32 expires, rqueue, wqueue, uid, inode;
};
struct conn_ {
  u8 family, state;
  struct sockid_ id;
  u32 inode;
};

#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define SOCK_DIAG_BY_FAMILY 20
#define SOCK_DESTROY 21
#define MAX_CONNS 4096
/* every state but CLOSE (7), TIME_WAIT (6) and LISTEN (10): those hold no connection of a process */
#define STATES ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 9) | (1u << 11) | (1u << 12))

static struct conn_ conns[MAX_CONNS];
static u32 nconns;
static u32 rbuf[65536 / 4];
static u32 seq;
static const char *const state_name[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
                                         "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
                                         "NEW_SYN_RECV"};

__attribute__((noreturn)) static void nl_error(long err) {
  os("error ");
  ou((u64)(err < 0 ? -err : err));
  oline(1);
  quit(5);
}

static int internal(const struct conn_ *c) {
  const u32 *l = c->id.src, *r = c->id.dst;
  const u8 *rb = (const u8 *)r;
  if (c->family == 2) return rb[0] == 127 || r[0] == l[0];
  if (r[0] == l[0] && r[1] == l[1] && r[2] == l[2] && r[3] == l[3]) return 1;
  if (r[0] || r[1]) return 0;
  if (r[2] == 0 && r[3] == 0x01000000) return 1;        /* ::1 */
  return r[2] == 0xffff0000 && rb[12] == 127;            /* ::ffff:127.x.x.x */
}

static void ohex16(u32 g) {
  int d = g >= 0x1000 ? 4 : g >= 0x100 ? 3 : g >= 0x10 ? 2 : 1;
  ox(g, d);
}

static void oaddr(u8 family, const u32 *a, u16 port) {
  const u8 *b = (const u8 *)a;
  if (family == 2) {
    for (int i = 0; i < 4; i++) {
      if (i) oc('.');
      ou(b[i]);
    }
  } else {
    oc('[');
    if (!a[0] && !a[1] && a[2] == 0xffff0000) {
      os("::ffff:");
      for (int i = 12; i < 16; i++) {
        if (i > 12) oc('.');
        ou(b[i]);
      }
    } else {
      u32 g[8];
      int best = -1, bestlen = 1;
      for (int i = 0; i < 8; i++) g[i] = (u32)b[2 * i] << 8 | b[2 * i + 1];
      for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !g[j]) j++;
        if (j - i > bestlen) best = i, bestlen = j - i;
        i = j > i ? j : i + 1;
      }
      for (int i = 0; i < 8; i++) {
        if (i == best) {
          os("::");
          i += bestlen - 1;
          continue;
        }
        if (i && i != best + bestlen) oc(':');
        ohex16(g[i]);
      }
    }
    oc(']');
  }
  oc(':');
  ou((u64)(u16)(port >> 8 | port << 8));
}

static void oconn(const char *verb, const struct conn_ *c) {
  os(verb);
  os(c->family == 2 ? "tcp4 " : "tcp6 ");
  if (!*verb) {
    os(state_name[c->state <= 12 ? c->state : 0]);
    oc(' ');
  }
  oaddr(c->family, c->id.src, c->id.sport);
  oc(' ');
  oaddr(c->family, c->id.dst, c->id.dport);
}

static long nl_send(int fd, u16 type, u16 flags, u8 family, const struct sockid_ *id) {
  struct diag_req_ q;
  memset(&q, 0, sizeof q);
  q.h.len = sizeof q;
  q.h.type = type;
  q.h.flags = flags;
  q.h.seq = ++seq;
  q.family = family;
  q.protocol = 6; /* IPPROTO_TCP */
  q.states = type == SOCK_DESTROY ? ~0u : STATES;
  if (id) q.id = *id;
  long r;
  do r = sys(SYS_sendto, fd, (long)&q, sizeof q, 0, 0, 0); while (r == -EINTR);
  return r < 0 ? r : 0;
}

/* Receives until the answer to the last request is complete: returns 0 or -errno. */
static long nl_recv(int fd, int dump) {
  for (;;) {
    long n = rw_retry(SYS_read, fd, rbuf, sizeof rbuf);
    if (n < 0) return n;
    if (n == 0) return -5; /* EIO */
    for (long off = 0; off + (long)sizeof(struct nlmsghdr_) <= n;) {
      struct nlmsghdr_ *h = (struct nlmsghdr_ *)((char *)rbuf + off);
      if (h->len < sizeof *h || off + (long)h->len > n) return -5;
      off += (h->len + 3) & ~3u;
      if (h->seq != seq) continue;
      int *payload = (int *)(h + 1);
      if (h->type == NLMSG_ERROR) return h->len >= sizeof *h + 4 ? payload[0] : -5;
      if (h->type == NLMSG_DONE) return h->len >= sizeof *h + 4 && payload[0] < 0 ? payload[0] : 0;
      if (dump && h->type == SOCK_DIAG_BY_FAMILY && h->len >= sizeof *h + sizeof(struct diag_msg_)) {
        struct diag_msg_ *m = (struct diag_msg_ *)payload;
        struct conn_ c;
        c.family = m->family;
        c.state = m->state;
        c.id = m->id;
        c.inode = m->inode;
        if (!internal(&c) && nconns < MAX_CONNS) conns[nconns++] = c;
      }
    }
  }
}

static int nl_open(void) {
  long fd = sys3(SYS_socket, 16 /* AF_NETLINK */, 3 /* SOCK_RAW */ | 02000000 /* SOCK_CLOEXEC */, 4 /* NETLINK_SOCK_DIAG */);
  if (fd < 0) nl_error(fd);
  return (int)fd;
}

static void enumerate(int fd) {
  static const u8 families[] = {2, 10};
  nconns = 0;
  for (int i = 0; i < 2; i++) {
    long r = nl_send(fd, SOCK_DIAG_BY_FAMILY, 1 | 0x300 /* NLM_F_REQUEST|NLM_F_DUMP */, families[i], 0);
    if (!r) r = nl_recv(fd, 1);
    /* a kernel without IPv6 has no tcp6 connections to list */
    if (r && !(families[i] == 10 && (r == -ENOENT || r == -97 /* EAFNOSUPPORT */))) nl_error(r);
  }
}

__attribute__((noreturn)) static void list_conns(void) {
  int fd = nl_open();
  enumerate(fd);
  for (u32 i = 0; i < nconns; i++) {
    oconn("", &conns[i]);
    oc(' ');
    ou(conns[i].inode);
    oline(1);
  }
  os("end ");
  ou(nconns);
  oline(1);
  quit(0);
}

__attribute__((noreturn)) static void close_external(void) {
  int fd = nl_open();
  u64 closed = 0, failed = 0;
  for (int pass = 0; pass < 16; pass++) {
    enumerate(fd);
    u64 before = closed;
    for (u32 i = 0; i < nconns; i++) {
      struct conn_ *c = &conns[i];
      long r = nl_send(fd, SOCK_DESTROY, 1 | 4 /* NLM_F_REQUEST|NLM_F_ACK */, c->family, &c->id);
      if (!r) r = nl_recv(fd, 0);
      oconn(r == 0 ? "closed " : r == -ENOENT ? "gone " : "failed ", c);
      if (r == 0 || r == -ENOENT) {
        oc(' ');
        ou(c->inode);
        closed += r == 0;
      } else {
        os(" errno ");
        ou((u64)-r);
        failed++;
      }
      oline(1);
    }
    /* more than MAX_CONNS: go again once this batch is closed */
    if (nconns < MAX_CONNS || closed == before) break;
  }
  os("end ");
  ou(closed);
  oc(' ');
  ou(failed);
  oline(1);
  quit(failed ? 6 : 0);
}

/* ---- cat ---- */

__attribute__((noreturn)) static void cat(int argc, char **argv) {
  if (argc < 3) usage();
  for (int i = 2; i < argc; i++) {
    long fd = sys3(SYS_open, argv[i], 0, 0), n = 0;
    os("==> ");
    os(argv[i]);
    if (fd < 0) {
      os(" error ");
      ou((u64)-fd);
      oline(1);
      continue;
    }
    oline(1);
    int nl = 1;
    while ((n = rw_retry(SYS_read, (int)fd, rbuf, sizeof rbuf)) > 0) {
      nl = ((char *)rbuf)[n - 1] == '\n';
      for (char *p = (char *)rbuf; n > 0;) {
        long w = rw_retry(SYS_write, 1, p, (u64)n);
        if (w <= 0) quit(1);
        p += w, n -= w;
      }
    }
    if (!nl) oline(1);
    if (n < 0) {
      os("==> ");
      os(argv[i]);
      os(" error ");
      ou((u64)-n);
      oline(1);
    }
    sys1(SYS_close, fd);
  }
  os("==> end");
  oline(1);
  quit(0);
}

/* ---- drop-copies ---- */

#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define DT_DIR 4
#define ELOOP 40

struct dirent64_ {
  u64 ino;
  long off;
  u16 reclen;
  u8 type;
  char name[];
};

static long open_dir(int at, const char *name) {
  return sys4(SYS_openat, at, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
}

/* Removes the directory <name> in <at> and everything in it; adds the sizes of its files. */
static long remove_tree(int at, const char *name, int depth, u64 *bytes) {
  if (depth > 4) return -ELOOP;
  long fd = open_dir(at, name), n, err = 0;
  if (fd < 0) return fd;
  char buf[2048];
  while (!err && (n = sys3(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n && !err;) {
      struct dirent64_ *d = (struct dirent64_ *)(buf + off);
      off += d->reclen;
      if (streq(d->name, ".") || streq(d->name, "..")) continue;
      if (d->type == DT_DIR) {
        err = remove_tree((int)fd, d->name, depth + 1, bytes);
        continue;
      }
      u64 st[18];
      if (sys4(SYS_newfstatat, fd, d->name, st, AT_SYMLINK_NOFOLLOW) == 0) *bytes += st[6]; /* st_size */
      long r = sys3(SYS_unlinkat, fd, d->name, 0);
      if (r < 0 && r != -ENOENT) err = r;
    }
  }
  if (!err && n < 0) err = n;
  sys1(SYS_close, fd);
  return err ? err : sys3(SYS_unlinkat, at, name, AT_REMOVEDIR);
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether <len> bytes equal the hex string <h> (lowercase, two digits a byte). */
static int same_bytes(const u8 *b, long len, const char *h) {
  long i = 0;
  for (; i < len; i++, h += 2) {
    if (!h[0] || !h[1]) return 0;
    int hi = hexval(h[0]), lo = hexval(h[1]);
    if (hi < 0 || lo < 0 || b[i] != (u8)(hi << 4 | lo)) return 0;
  }
  return !*h;
}

__attribute__((noreturn)) static void drop_copies(int argc, char **argv) {
  if (argc < 4) usage();
  long dir = open_dir(-100 /* AT_FDCWD */, argv[2]), n;
  if (dir < 0) {
    os("error ");
    ou((u64)-dir);
    oline(1);
    quit(5);
  }
  u64 dropped = 0, failed = 0, total = 0;
  static char buf[32768];
  static u8 inv[4096];
  while ((n = sys3(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct dirent64_ *d = (struct dirent64_ *)(buf + off);
      off += d->reclen;
      if (d->type != DT_DIR || !prefix(d->name, "ctrd-checkpoint")) continue;
      long cd = open_dir((int)dir, d->name);
      if (cd < 0) continue;
      long f = sys4(SYS_openat, cd, "inventory.img", O_NOFOLLOW | O_CLOEXEC, 0), len = -1;
      if (f >= 0) {
        len = rw_retry(SYS_read, (int)f, inv, sizeof inv);
        sys1(SYS_close, f);
      }
      sys1(SYS_close, cd);
      if (len <= 0 || len == (long)sizeof inv) continue;
      int match = 0;
      for (int i = 3; i < argc && !match; i++) match = same_bytes(inv, len, argv[i]);
      if (!match) continue;
      u64 bytes = 0;
      long r = remove_tree((int)dir, d->name, 1, &bytes);
      os(r == 0 ? "dropped " : "failed ");
      os(d->name);
      oc(' ');
      if (r == 0) {
        ou(bytes);
        dropped++, total += bytes;
      } else {
        os("errno ");
        ou((u64)-r);
        failed++;
      }
      oline(1);
    }
  }
  os("end ");
  ou(dropped);
  oc(' ');
  ou(total);
  oc(' ');
  ou(failed);
  oline(1);
  quit(0);
}

__attribute__((used, noreturn)) void cmain(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  const char *mode = argc > 1 ? argv[1] : "hold";
  if (streq(mode, "hold")) hold(argc, argv);
  if (streq(mode, "memory")) memory(argc, argv);
  if (argc == 2 && streq(mode, "conns")) list_conns();
  if (argc == 2 && streq(mode, "close-external")) close_external();
  if (streq(mode, "cat")) cat(argc, argv);
  if (streq(mode, "drop-copies")) drop_copies(argc, argv);
  usage();
}
