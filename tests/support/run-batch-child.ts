// Runs one migration batch in its own process (DATABASE_URL from the environment), so a test can
// have it die by SIGKILL mid-batch, as a crashed dashboard would.
//   run-batch-child.ts <migrationId> [<phase> <start|end> [fail-restore]]
// With a phase, the process kills itself the first time any item reaches that phase: at its start
// (status and phase row written, step not yet run) or at its end (step done, next status not yet
// written). fail-restore deletes each target's checkpoint before its restore, so moves roll back.
import { MigrationEngine } from "@/lib/migration/engine";
import * as ops from "@/lib/migration/docker-ops";
import type { PhaseName } from "@/lib/migration/state";

const [id, phase, when, flag] = process.argv.slice(2) as [string | undefined, PhaseName | undefined, "start" | "end" | undefined, string | undefined];
if (!id) throw new Error("usage: run-batch-child.ts <migrationId> [<phase> <start|end> [fail-restore]]");

const die = (at: PhaseName, moment: "start" | "end") => {
  if (at === phase && moment === when) process.kill(process.pid, "SIGKILL");
  return Promise.resolve();
};
await new MigrationEngine({
  beforePhase: ({ phase: at }) => die(at, "start"),
  afterPhase: ({ phase: at }) => die(at, "end"),
  beforeRestore: flag === "fail-restore" ? ({ target, targetContainerId, checkpointId }) => ops.deleteCheckpoint(target, targetContainerId, checkpointId) : undefined,
}).start(id);
process.exit(0);
