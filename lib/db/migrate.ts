import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

/**
 * Applies prisma/migrations to the database named by DATABASE_URL (`prisma migrate deploy`).
 * Runs the Prisma CLI of this install with an argument array: no shell, no user input.
 */
export function migrateDatabase(databaseUrl: string): void {
  const require = createRequire(import.meta.url);
  const cli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");
  execFileSync(process.execPath, [cli, "migrate", "deploy"], {
    cwd: process.cwd(),
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
}
