import "server-only";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { migrateDatabase } from "@/lib/db/migrate";
import { createFirstUser, hasAnyUser } from "@/lib/auth/users";
import { registerLocalHostOnce } from "@/lib/hosts/service";

/** Everything the process does once before it serves: schema, first account, local host. */
export async function bootstrap(log: (msg: string) => void = console.log): Promise<void> {
  const e = env();
  migrateDatabase(e.DATABASE_URL);
  // WAL: readers (pages) never wait for the writer (the engine, the monitor).
  await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout=5000");
  await db.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  if (!(await hasAnyUser())) {
    if (e.FERRY_ADMIN_PASSWORD) {
      await createFirstUser(e.FERRY_ADMIN_USER, e.FERRY_ADMIN_PASSWORD);
      log(`created account "${e.FERRY_ADMIN_USER}" from FERRY_ADMIN_PASSWORD`);
    } else {
      log("no account yet: open the dashboard to create the admin account");
    }
  }
  const local = await registerLocalHostOnce();
  if (local) log(`registered this machine's Docker socket as host "local" (${local.healthStatus})`);
}
