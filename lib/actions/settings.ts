"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/current";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-token";

export type TokenFormState = { ok?: boolean; message?: string; token?: string; errors?: Record<string, string[]> };

const nameSchema = z.string().trim().min(1, "Name the token (what script uses it)").max(64, "At most 64 characters");

export async function createTokenAction(_prev: TokenFormState, form: FormData): Promise<TokenFormState> {
  await requireUser();
  const parsed = nameSchema.safeParse(form.get("name"));
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message, errors: { name: parsed.error.issues.map((i) => i.message) } };
  const { token } = await createApiToken(parsed.data);
  revalidatePath("/settings");
  return { ok: true, token, message: `Token "${parsed.data}" created. Copy it now: it is not shown again.` };
}

export async function revokeTokenAction(id: string): Promise<TokenFormState> {
  await requireUser();
  const parsed = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/).safeParse(id);
  if (!parsed.success) return { ok: false, message: "Not a token id" };
  await revokeApiToken(parsed.data);
  revalidatePath("/settings");
  return { ok: true, message: "Token revoked" };
}
