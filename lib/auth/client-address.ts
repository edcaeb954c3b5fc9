import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * Where a request came from, decided once in server.ts and handed to Next as a request header.
 * A server action cannot see the socket, and X-Forwarded-For is whatever the client wrote (Next
 * itself only fills it in when it is missing), so the login rate limit keys on this instead.
 */
export const CLIENT_ADDRESS_HEADER = "x-ferry-client-address";

/** An IP address in one spelling ("::ffff:127.0.0.1" is 127.0.0.1; ports and brackets dropped), or null. */
export function normalizeAddress(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a); // "[::1]:443" (some proxies add the port)
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":")); // "1.2.3.4:5678"
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  const v = isIP(a);
  if (v === 4) return a;
  if (v === 6) return a.toLowerCase();
  return null;
}

/**
 * The client's address: the socket's peer, unless the peer is one of `trusted` (a reverse proxy
 * named in FERRY_TRUSTED_PROXY). Then X-Forwarded-For is read from the right, skipping trusted
 * proxies: the first address a trusted proxy did not add itself is the client. Entries further
 * left were written by the client and are never believed.
 */
export function clientAddress(peer: string | undefined | null, forwardedFor: string | string[] | undefined, trusted: readonly string[]): string {
  const trust = new Set(trusted.map((t) => normalizeAddress(t)).filter((t): t is string => t !== null));
  let address = normalizeAddress(peer);
  if (!address) return "unknown";
  if (!trust.has(address) || !forwardedFor) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]);
    // Garbage where a trusted proxy wrote: stay with the last address we could vouch for (a
    // shared key for everyone behind it, which errs on the side of limiting too much).
    if (!hop) return address;
    address = hop;
    if (!trust.has(hop)) return hop;
  }
  return address;
}

/**
 * Sets CLIENT_ADDRESS_HEADER on a request before Next sees it. Whatever the client sent under that
 * name is deleted first (Node joins repeated headers under one lower-case key), so it cannot be spoofed.
 */
export function stampClientAddress(req: IncomingMessage, trusted: readonly string[]): void {
  delete req.headers[CLIENT_ADDRESS_HEADER];
  req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
}
