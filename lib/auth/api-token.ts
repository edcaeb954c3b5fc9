import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { db } from "@/lib/db";
import { env } from "@/lib/env";

const sha256 = (v: string) => createHash("sha256").update(v).digest();

/** Checks an "Authorization: Bearer <token>" header against Settings tokens and FERRY_API_TOKEN. */
export async function authenticateBearer(header: string): Promise<{ name: string } | null> {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,256})$/.exec(header.trim());
  if (!m) return null;
  const presented = m[1]!;
  const configured = env().FERRY_API_TOKEN;
  if (configured && timingSafeEqual(sha256(presented), sha256(configured))) return { name: "FERRY_API_TOKEN" };
  const row = await db.apiToken.findUnique({ where: { tokenHash: sha256(presented).toString("hex") } });
  if (!row) return null;
  await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  return { name: row.name };
}

export type ApiTokenView = { id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null };

/** Creates a token; the clear text is returned once and never stored. */
export async function createApiToken(name: string): Promise<{ token: string; view: ApiTokenView }> {
  const token = `ferry_${randomBytes(32).toString("base64url")}`;
  const row = await db.apiToken.create({ data: { name, tokenHash: sha256(token).toString("hex"), prefix: token.slice(0, 12) } });
  return { token, view: tokenView(row) };
}

export async function listApiTokens(): Promise<ApiTokenView[]> {
  return (await db.apiToken.findMany({ orderBy: { createdAt: "desc" } })).map(tokenView);
}

/** Deletes a token; false when there was none with that id. */
export async function revokeApiToken(id: string): Promise<boolean> {
  return (await db.apiToken.deleteMany({ where: { id } })).count > 0;
}

function tokenView(r: { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null }): ApiTokenView {
  return { id: r.id, name: r.name, prefix: r.prefix, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null };
}
