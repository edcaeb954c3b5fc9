import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { db } from "@/lib/db";
import { env } from "@/lib/env";

export const SESSION_COOKIE = "ferry_session";
/** A session unused this long ends (each use moves it forward, never past the absolute end). */
const IDLE_TTL_MS = 7 * 24 * 3600 * 1000;
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export type SessionUser = { id: string; username: string };

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/** The stored id of a session token (its SHA-256): what the socket server keeps, never the token. */
export const sessionIdOf = (token: string) => sha256(token);

export function sessionCookieOptions(expires: Date) {
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: env().FERRY_SECURE_COOKIES === "1",
    path: "/",
    expires,
  };
}

/** The idle expiry after a use at `now`: a week on, but never past the session's absolute end. */
export function idleExpiry(now: number, absoluteExpiresAt: Date): Date {
  return new Date(Math.min(now + IDLE_TTL_MS, absoluteExpiresAt.getTime()));
}

/** Creates a session; returns the token for the cookie (only its hash is stored). */
export async function createSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const now = Date.now();
  // Absolute: sign-in + FERRY_SESSION_MAX_AGE_HOURS. Using the session never extends it, so a
  // stolen cookie (or one left in a browser) stops working at a known time.
  const absoluteExpiresAt = new Date(now + env().FERRY_SESSION_MAX_AGE_HOURS * 3600 * 1000);
  await db.session.create({ data: { id: sha256(token), userId, expiresAt: idleExpiry(now, absoluteExpiresAt), absoluteExpiresAt } });
  return { token, expiresAt: absoluteExpiresAt };
}

/** The user behind a session token, or null when it is missing, unknown or expired. */
export async function validateSession(token: string | undefined | null): Promise<SessionUser | null> {
  if (!token || token.length > 128) return null;
  const session = await db.session.findUnique({ where: { id: sha256(token) }, include: { user: true } });
  if (!session) return null;
  const now = Date.now();
  if (session.expiresAt.getTime() <= now || session.absoluteExpiresAt.getTime() <= now) {
    await db.session.delete({ where: { id: session.id } }).catch(() => undefined);
    return null;
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.session.update({
      where: { id: session.id },
      data: { lastSeenAt: new Date(now), expiresAt: idleExpiry(now, session.absoluteExpiresAt) },
    });
  }
  return { id: session.user.id, username: session.user.username };
}

/**
 * Which of these session ids still exist and have not expired (the socket server's periodic check).
 * Reads only: a socket left open is not a use that keeps a session alive.
 */
export async function liveSessionIds(ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const now = new Date();
  const rows = await db.session.findMany({
    where: { id: { in: [...ids] }, expiresAt: { gt: now }, absoluteExpiresAt: { gt: now } },
    select: { id: true },
  });
  return new Set(rows.map((r) => r.id));
}

/** The socket.io room of one login session's sockets, so logout can disconnect them. */
export function sessionRoom(token: string): string {
  return sessionRoomOf(sha256(token));
}

/** The same room, from the stored session id. */
export function sessionRoomOf(sessionId: string): string {
  return `session:${sessionId.slice(0, 24)}`;
}

export async function deleteSession(token: string | undefined | null): Promise<void> {
  if (!token) return;
  await db.session.deleteMany({ where: { id: sha256(token) } });
}

/** Reads one cookie out of a raw Cookie header (socket.io handshakes, route handlers). */
export function readCookie(header: string | undefined | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
