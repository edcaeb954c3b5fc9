import "server-only";
import { requireUser } from "@/lib/auth/current";
import { listApiTokens, type ApiTokenView } from "@/lib/auth/api-token";
import { getMigration, MigrationNotFoundError } from "@/lib/migration/service";
import type { MigrationView } from "@/lib/migration/view";
import { migrationIdSchema } from "@/lib/validations/migration";

export async function fetchMigration(id: string): Promise<MigrationView | null> {
  await requireUser();
  const parsed = migrationIdSchema.safeParse(id);
  if (!parsed.success) return null;
  try {
    return await getMigration(parsed.data);
  } catch (err) {
    if (err instanceof MigrationNotFoundError) return null;
    throw err;
  }
}

export async function fetchApiTokens(): Promise<ApiTokenView[]> {
  await requireUser();
  return listApiTokens();
}
