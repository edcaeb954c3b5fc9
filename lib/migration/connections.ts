/**
 * What a container's network namespace holds, read from its /proc/<pid>/net/{tcp,tcp6,udp,udp6}
 * tables. Pure: the text comes from a helper on the container's host (lib/migration/sockets.ts).
 *
 * Why it matters for a move: CRIU moves listening sockets and connections whose both ends are
 * inside the container (with `tcp-established`); a connection to a peer outside the container
 * cannot follow it to another host, so Ferry closes those just before the checkpoint.
 */

export type Proto = "tcp4" | "tcp6" | "udp4" | "udp6";

export type SocketEntry = {
  proto: Proto;
  state: string;
  local: string; // ip:port
  remote: string;
  external: boolean;
};

export type SocketInventory = {
  /** TCP sockets in LISTEN. */
  listening: number;
  /** UDP sockets. */
  udp: number;
  /** Connections between processes of the container (loopback, or its own address). */
  internal: SocketEntry[];
  /** Connections to peers outside the container. */
  external: SocketEntry[];
};

const TCP_STATES: Record<string, string> = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "03": "SYN_RECV",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0A": "LISTEN",
  "0B": "CLOSING",
  "0C": "NEW_SYN_RECV",
};

/** States that hold no process's socket (kernel-only leftovers). */
const IGNORED = new Set(["TIME_WAIT", "CLOSE", "NEW_SYN_RECV"]);

/** /proc/net/tcp prints each 32-bit word of an address in host (little-endian) byte order. */
function wordBytes(hex: string): number[] {
  const out: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) out.push(parseInt(word.slice(b, b + 2), 16));
  }
  return out;
}

function ipv6Text(bytes: number[]): string {
  // IPv4-mapped (::ffff:a.b.c.d) reads best as the IPv4 address it is.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // Compress the longest run of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 addresses come bracketed. */
export function decodeAddress(hexAddr: string): { ip: string; port: number; text: string } {
  const [addr = "", portHex = "0"] = hexAddr.split(":");
  const port = parseInt(portHex, 16);
  const bytes = wordBytes(addr);
  if (bytes.length === 4) {
    const ip = bytes.join(".");
    return { ip, port, text: `${ip}:${port}` };
  }
  const ip = ipv6Text(bytes);
  return { ip, port, text: `[${ip}]:${port}` };
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === "::1" || /^::ffff:127\./.test(ip);
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} table. */
export function parseNetTable(proto: Proto, text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0]!)) continue; // header or blank
    const local = decodeAddress(f[1]!);
    const remote = decodeAddress(f[2]!);
    const state = proto.startsWith("udp") ? "UDP" : (TCP_STATES[f[3]!.toUpperCase()] ?? f[3]!);
    const external = proto.startsWith("tcp") && state !== "LISTEN" && !isLoopback(remote.ip) && remote.ip !== local.ip;
    out.push({ proto, state, local: local.text, remote: remote.text, external });
  }
  return out;
}

export function inventory(entries: SocketEntry[]): SocketInventory {
  const inv: SocketInventory = { listening: 0, udp: 0, internal: [], external: [] };
  for (const e of entries) {
    if (e.proto.startsWith("udp")) inv.udp++;
    else if (e.state === "LISTEN") inv.listening++;
    else if (IGNORED.has(e.state)) continue;
    else if (e.external) inv.external.push(e);
    else inv.internal.push(e);
  }
  return inv;
}

export const NET_TABLES: { proto: Proto; file: string }[] = [
  { proto: "tcp4", file: "tcp" },
  { proto: "tcp6", file: "tcp6" },
  { proto: "udp4", file: "udp" },
  { proto: "udp6", file: "udp6" },
];

/** Inet sockets of any kind: what a CRIU without socket support cannot dump. */
export const holdsInetSockets = (inv: SocketInventory) => inv.listening + inv.udp + inv.internal.length + inv.external.length > 0;

/** What pre-flight tells the user about a container's connections. */
export function describeInventory(inv: SocketInventory): string[] {
  const out: string[] = [];
  if (inv.internal.length) {
    const tcp = inv.internal.filter((e) => e.proto.startsWith("tcp")).length;
    out.push(`holds ${tcp} TCP connection end(s) between its own processes: they move with it, open (CRIU tcp-established)`);
  }
  if (inv.external.length) {
    const peers = [...new Set(inv.external.map((e) => e.remote))];
    out.push(
      `holds ${inv.external.length} connection(s) to peers outside the container (${peers.slice(0, 3).join(", ")}${peers.length > 3 ? ", …" : ""}): ` +
        "a connection cannot follow a container to another host, so Ferry closes them just before the checkpoint; the peers see them closed and can reconnect, and listening sockets move and keep serving",
    );
  }
  return out;
}

/** Splits the probe tool's `cat` output: "==> <path>" before each file, "==> <path> error <n>" if unreadable, "==> end" last. */
export function splitCatOutput(stdout: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let current: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (current !== null) out.set(current, lines.join("\n"));
  };
  for (const line of stdout.split("\n")) {
    const m = /^==> (\S+)(?: error (\d+))?$/.exec(line);
    if (m && m[1] === "end" && !m[2]) break;
    if (m) {
      flush();
      current = null;
      lines = [];
      if (m[2]) out.set(m[1]!, null);
      else current = m[1]!;
      continue;
    }
    if (current !== null) lines.push(line);
  }
  flush();
  return out;
}
