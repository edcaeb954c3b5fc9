// The fault suite: runs tests/integration/faults.test.ts on the real lab (each fault on a batch of
// at least ten counters) and prints the table: fault, containers, done, rolled back, skipped,
// failed untouched, lost (must be 0), time to recover.
//   npm run faults                  # prints the table
//   npm run faults -- --doc         # and writes it into docs/RELIABILITY.md
//   FERRY_FAULTS_N=20 npm run faults
//   npm run faults -- --from-report [--doc]   # the table of the last run (reports/faults.jsonl), no new run
// Exits non-zero if a test failed or any container was lost.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const REPORT = "reports/faults.jsonl";
const DOC = "docs/RELIABILITY.md";
const writeDoc = process.argv.includes("--doc");
const fromReport = process.argv.includes("--from-report");

const started = Date.now();
let vitest = { status: 0 };
if (!fromReport) {
  fs.mkdirSync("reports", { recursive: true });
  fs.rmSync(REPORT, { force: true });
  vitest = spawnSync("node_modules/.bin/vitest", ["run", "--project", "integration", "tests/integration/faults.test.ts"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, FERRY_FAULTS_REPORT: REPORT },
  });
}
const rows = fs.existsSync(REPORT)
  ? fs
      .readFileSync(REPORT, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];

const head = ["fault", "containers", "done", "rolled back", "skipped", "failed untouched", "lost", "time to recover"];
const body = rows.map((r) => [r.fault, r.containers, r.done, r.rolledBack, r.skipped, r.untouched, r.lost, `${(r.recoverMs / 1000).toFixed(1)} s`].map(String));
const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(`\n${line(head)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
for (const b of body) console.log(line(b));
const lost = rows.reduce((s, r) => s + r.lost, 0);
const moved = rows.reduce((s, r) => s + r.containers, 0);
console.log(`\n${rows.length} faults, ${moved} containers, ${lost} lost${fromReport ? "" : `; ${((Date.now() - started) / 1000).toFixed(0)} s`}${vitest.status === 0 ? "" : "; SOME TESTS FAILED (see above)"}`);

if (writeDoc && rows.length) {
  const sh = (cmd, args) => (spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "").trim();
  const docker = sh("docker", ["version", "--format", "{{.Server.Version}}"]);
  const kernel = sh("uname", ["-r"]);
  const criu = sh("bash", ["scripts/lab.sh", "status"]).match(/criu (?:would be )?([\d.]+)/)?.[1] ?? "?";
  const md = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run faults\` on the lab (Docker ${docker}, CRIU ${criu}, kernel ${kernel}, ${moved} containers in all):`,
    "",
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`,
    ...body.map((b) => `| ${b.join(" | ")} |`),
  ].join("\n");
  const doc = fs.readFileSync(DOC, "utf8");
  const re = /<!-- faults:begin -->[\s\S]*<!-- faults:end -->/;
  if (!re.test(doc)) throw new Error(`${DOC} has no <!-- faults:begin --> … <!-- faults:end --> section`);
  fs.writeFileSync(DOC, doc.replace(re, `<!-- faults:begin -->\n${md}\n<!-- faults:end -->`));
  console.log(`wrote the table into ${DOC}`);
}
process.exit(vitest.status === 0 && lost === 0 && rows.length > 0 ? 0 : 1);
