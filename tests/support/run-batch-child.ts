// Runs one migration batch in its own process (DATABASE_URL from the environment), so a test can
// kill it with SIGKILL mid-batch, as a crashed or restarted dashboard would be.
import { MigrationEngine } from "@/lib/migration/engine";

const id = process.argv[2];
if (!id) throw new Error("usage: run-batch-child.ts <migrationId>");
await new MigrationEngine().start(id);
process.exit(0);
