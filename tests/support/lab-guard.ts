import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, TestRunner } from "vitest";
import { stuckLabHosts } from "./lab";

/**
 * Runs before every integration file: the lab's daemons must still answer. A daemon that stopped
 * answering during an earlier file (frozen, or stuck on its containerd) would otherwise hang every
 * file after it until CI's time runs out, and say nothing of why. Here this file fails at once,
 * naming the host and the file before it, and `lab.sh up` (which logs what the stuck daemon was
 * doing, then restarts it) gives the files after it a working lab again.
 */
const run = promisify(execFile);
const marker = process.env.FERRY_IT_DIR ? path.join(process.env.FERRY_IT_DIR, "last-file") : null;

const file = path.relative(process.cwd(), TestRunner.getCurrentSuite().file?.filepath ?? "this file");

beforeAll(async () => {
  const previous = marker && fs.existsSync(marker) ? fs.readFileSync(marker, "utf8") : "none (the first file)";
  if (marker) fs.writeFileSync(marker, file);
  const stuck = await stuckLabHosts();
  if (stuck.length === 0) return;
  const names = stuck.map((s) => `${s.host.toUpperCase()} (${s.why})`).join(", ");
  console.error(`[lab-guard] before ${file}: lab host(s) ${names} stopped answering; the file before: ${previous}. Restarting them with lab.sh up.`);
  const out = await run("bash", ["scripts/lab.sh", "up", "--no-servers", "--no-self-test"], { timeout: 240_000, maxBuffer: 16 << 20 }).then(
    (r) => r.stdout + r.stderr,
    (err: { stdout?: string; stderr?: string; message: string }) => `${err.stdout ?? ""}${err.stderr ?? ""}\nlab.sh up failed: ${err.message}`,
  );
  const said = out.split("\n").filter((l) => stuck.some((s) => l.includes(`host ${s.host.toUpperCase()}`)) || /^\[lab\]\s{3}/.test(l) || /failed/.test(l));
  console.error(said.join("\n"));
  throw new Error(`lab host(s) ${names} stopped answering after ${previous}, before ${file} started; lab.sh up restarted them:\n${said.slice(0, 60).join("\n")}`);
}, 300_000);
