import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/env";

const sha256 = (v: string) => createHash("sha256").update(v).digest();

/** Checks an "Authorization: Bearer <token>" header against FERRY_API_TOKEN. */
export async function authenticateBearer(header: string): Promise<{ name: string } | null> {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,256})$/.exec(header.trim());
  if (!m) return null;
  const presented = m[1]!;
  const configured = env().FERRY_API_TOKEN;
  if (configured && timingSafeEqual(sha256(presented), sha256(configured))) return { name: "FERRY_API_TOKEN" };
  return null;
}
