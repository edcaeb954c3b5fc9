"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { requireUser } from "@/lib/auth/current";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-token";
import { purgeOldDetail, setRetentionDays } from "@/lib/migration/history";
import { asForm } from "@/lib/validations/form";

export type TokenFormState = { ok?: boolean; message?: string; token?: string; errors?: Record<string, string[]> };

const nameSchema = z.string().trim().min(1, "Name the token (what script uses it)").max(64, "At most 64 characters");

export async function createTokenAction(_prev: TokenFormState, form: FormData): Promise<TokenFormState> {
  await requireUser();
  const parsed = nameSchema.safeParse(asForm(form).get("name"));
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message, errors: { name: parsed.error.issues.map((i) => i.message) } };
  const { token } = await createApiToken(parsed.data);
  revalidatePath("/settings");
  return { ok: true, token, message: `Token "${parsed.data}" created. Copy it now: it is not shown again.` };
}

export async function revokeTokenAction(id: string): Promise<TokenFormState> {
  await requireUser();
  const parsed = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/).safeParse(id);
  if (!parsed.success) return { ok: false, message: "Not a token id" };
  if (!(await revokeApiToken(parsed.data))) return { ok: false, message: `No token with id ${parsed.data} (revoked already?)` };
  revalidatePath("/settings");
  return { ok: true, message: "Token revoked" };
}

export type RetentionState = { ok?: boolean; message?: string };

const daysSchema = z.coerce.number({ message: "Days must be a whole number" }).int("Days must be a whole number").min(1, "Keep at least 1 day").max(3650, "At most 3650 days");

/** Keep N days of phase timings; batch and container summaries stay. */
export async function saveRetentionAction(_prev: RetentionState, form: FormData): Promise<RetentionState> {
  await requireUser();
  const parsed = daysSchema.safeParse(asForm(form).get("days"));
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
  await setRetentionDays(parsed.data);
  const purged = await purgeOldDetail(parsed.data);
  revalidatePath("/settings");
  return { ok: true, message: `Keeping ${parsed.data} days of detail (purged ${purged.phases} phase timings just now)` };
}
