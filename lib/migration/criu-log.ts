/**
 * Reading CRIU's own words, and what the probe reports. Pure (shared by the server, the hosts page
 * and unit tests).
 */

/** What the probe's process holds; each is something real servers hold. */
export const CRIU_CAPABILITIES = ["tcp-listen", "tcp-established", "unix", "pipe", "file", "threads"] as const;
export type CriuCapability = (typeof CRIU_CAPABILITIES)[number];

export const CAPABILITY_LABELS: Record<CriuCapability, string> = {
  "tcp-listen": "listening TCP socket",
  "tcp-established": "established TCP connection",
  unix: "unix socket",
  pipe: "pipe",
  file: "open file",
  threads: "several threads",
};

export type CriuProbe = {
  ok: boolean;
  checkedAt: string;
  kernel: string;
  durationMs: number;
  /** One line for a user: which capability fails and the fix. */
  error?: string;
  capabilities: { name: CriuCapability; ok: boolean; error?: string; hint?: string }[];
};

/** Error lines CRIU writes on every run here that say nothing about the failure. */
const NOISE = [/RLIMIT_NOFILE/, /^Dump files \(pid: \d+\) failed/, /^Dumping FAILED/, /^Restoring FAILED/, /^Unable to restore/];

/**
 * The first line of a CRIU log that says what went wrong: "sockets: Can't get 1:16 opt: Operation
 * not supported (criu/sockets.c:628)". Falls back to the generic failure line.
 */
export function firstCriuError(log: string): string | null {
  const errors: { where: string; text: string }[] = [];
  for (const line of log.split("\n")) {
    const m = /Error \(([^)]+)\):\s*(.*)$/.exec(line);
    if (m) errors.push({ where: m[1]!, text: m[2]!.trim() });
  }
  const useful = errors.find((e) => !NOISE.some((n) => n.test(e.text))) ?? errors.find((e) => !/RLIMIT_NOFILE/.test(e.text));
  return useful ? `${useful.text} (${useful.where})` : null;
}

/** The fix for CRIU errors we know, in a user's terms: a phrase that follows "CRIU on <host>". */
export function criuHint(line: string, kernel: string): string | null {
  const k = kernel ? ` ${kernel.replace(/^(\d+\.\d+).*/, "$1")}` : "";
  if (/Can't get \d+:(16|34) opt/.test(line))
    return `cannot dump TCP/UDP sockets on kernel${k}: CRIU 4.2 or newer is needed`;
  if (/Connected TCP socket, consider using --tcp-established/.test(line))
    return "needs `tcp-established` in /etc/criu/runc.conf to move established TCP connections";
  if (/In-flight connection/i.test(line)) return "needs `skip-in-flight` in /etc/criu/runc.conf for connections still being accepted";
  if (/file-locks|Some file locks are hold|file locks/i.test(line)) return "needs `file-locks` in /etc/criu/runc.conf to move file locks";
  if (/vdso: Unexpected rt vDSO area bounds/.test(line)) return `is too old for kernel${k}: CRIU 4.x is needed`;
  if (/Can't bind inet socket|Cannot assign requested address/.test(line))
    return "cannot restore a connection to a peer outside the container on another host (it must be closed before the checkpoint)";
  return null;
}
