import "server-only";
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";

/** The path of the SQLite file named by DATABASE_URL ("file:..."). */
export function databaseFile(url = env().DATABASE_URL): string {
  return path.resolve(url.replace(/^file:/, ""));
}

function create(): PrismaClient {
  const file = databaseFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const adapter = new PrismaBetterSQLite3({ url: file });
  return new PrismaClient({ adapter });
}

// One client per process: server.ts (run by tsx) and Next's bundles load this module separately.
const g = globalThis as unknown as { __ferryPrisma?: PrismaClient };

export const db: PrismaClient = (g.__ferryPrisma ??= create());
