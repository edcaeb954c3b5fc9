import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrateDatabase } from "../../lib/db/migrate";
import { assertLabUp } from "./lab";

/** A fresh real SQLite database for the integration run, and a lab that answers. */
export default async function setup() {
  await assertLabUp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-it-"));
  const url = `file:${path.join(dir, "ferry.db")}`;
  migrateDatabase(url);
  process.env.DATABASE_URL = url;
  process.env.FERRY_IT_DIR = dir; // the lab guard notes each file there as it starts
  process.env.FERRY_DOCKER_TIMEOUT_MS = "3000";
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
