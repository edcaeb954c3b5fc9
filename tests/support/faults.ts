import fs from "node:fs";
import path from "node:path";
import type { MigrationView } from "@/lib/migration/view";
import { counterValues, isRunning, labDocker, untilCounted, untilPast } from "./lab";

/**
 * The fault suite's accounting: after a fault, every container must run on exactly one host with
 * its counter continued, and its final status must say which host. `account` checks that for each
 * item of a batch and returns the suite's table row; `record` keeps the row for `npm run faults`.
 */

export type FaultRow = {
  fault: string;
  containers: number;
  done: number;
  rolledBack: number;
  skipped: number;
  /** Failed before its checkpoint: the source was never stopped. */
  untouched: number;
  /** Not running on exactly one host with its counter continued (must be 0). */
  lost: number;
  /** From the fault to the moment every container ran on exactly one host again. */
  recoverMs: number;
  problems: string[];
};

/** The counters of a batch, one per item: the suite's default size (at least 10). */
export const FAULT_BATCH = Math.max(10, Number(process.env.FERRY_FAULTS_N ?? 10));

/** Where the numbers are in order from `first` with no gap and no restart. */
const consecutive = (v: number[]) => v.every((x, i) => i === 0 || x === v[i - 1]! + 1);

async function runsOn(which: "a" | "b", idOrName: string | null): Promise<boolean> {
  return idOrName ? isRunning(which, idOrName) : false;
}

/**
 * Checks every item of a batch (source on A, target B) and returns the row. A container counts as
 * lost unless: done → it runs on B only, and its counter went on past where it was on A; anything
 * else → it runs on A only, counting on from 1 (resumed from its checkpoint, or never stopped).
 */
export async function account(fault: string, m: MigrationView, recoverMs: number): Promise<FaultRow> {
  const problems: string[] = [];
  for (const item of m.items) {
    const onA = await runsOn("a", item.containerId);
    const onB = await runsOn("b", item.targetName ?? item.name);
    const where = item.status === "done" ? "b" : "a";
    if (onA && onB) {
      problems.push(`${item.name} (${item.status}) runs on both hosts`);
      continue;
    }
    if (where === "b") {
      if (!onB) {
        problems.push(`${item.name} is done but does not run on B`);
        continue;
      }
      const v = await untilCounted("b", item.targetContainerId!).catch(() => [] as number[]);
      if (!v.length || v[0]! <= 1 || !consecutive(v)) problems.push(`${item.name} on B did not continue its count: ${v.slice(0, 5).join(",")}…`);
    } else {
      if (!onA) {
        problems.push(`${item.name} is ${item.status} but does not run on A (${item.error ?? ""})`);
        continue;
      }
      const last = (await counterValues("a", item.containerId)).at(-1) ?? 0;
      const v = await untilPast("a", item.containerId, last).catch(() => [] as number[]);
      if (!v.length || v[0] !== 1 || !consecutive(v)) problems.push(`${item.name} on A restarted or stopped counting (${item.status}): ${v.slice(0, 5).join(",")}…`);
    }
  }
  const count = (s: string) => m.items.filter((i) => i.status === s).length;
  const failed = m.items.filter((i) => i.status === "failed");
  // A failed item whose source was stopped is lost even if it was started afresh.
  for (const f of failed) if (f.phases.some((p) => p.name === "rollback")) problems.push(`${f.name} failed after its checkpoint: ${f.error}`);
  const lostNames = new Set(problems.map((p) => p.split(" ")[0]));
  return {
    fault,
    containers: m.items.length,
    done: count("done"),
    rolledBack: count("rolled-back"),
    skipped: count("skipped"),
    untouched: failed.length,
    lost: lostNames.size,
    recoverMs,
    problems,
  };
}

const REPORT = process.env.FERRY_FAULTS_REPORT;

/** Keeps a row for `npm run faults` (when it asked for them) and prints it with the test output. */
export function record(row: FaultRow): void {
  console.log(
    `[figures] ${row.fault}: ${row.containers} containers, ${row.done} done, ${row.rolledBack} rolled back, ${row.untouched} failed untouched, ${row.skipped} skipped, ${row.lost} lost; recovered in ${(row.recoverMs / 1000).toFixed(1)} s`,
  );
  if (!REPORT) return;
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.appendFileSync(REPORT, `${JSON.stringify(row)}\n`);
}

/** No container of the batch is left on B that is not its running copy (the sweep's work). */
export async function strays(m: MigrationView): Promise<string[]> {
  const done = new Set(m.items.filter((i) => i.status === "done").map((i) => i.targetContainerId));
  const names = new Set(m.items.map((i) => `/${i.targetName ?? i.name}`));
  const all = await labDocker("b").listContainers({ all: true });
  return all.filter((c) => c.Names.some((n) => names.has(n)) && !done.has(c.Id)).map((c) => `${c.Names[0]} (${c.State})`);
}
