// Adds up the JSON reports of vitest and Playwright into one closing line: "N passed, N failed".
// A missing report (a runner that crashed) counts as a failure; skipped tests never count as passed.
import fs from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.log(`${file}: no report (the runner did not finish)`);
    missing++;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  let p, f, s;
  if (r.stats && "expected" in r.stats) {
    p = r.stats.expected + (r.stats.flaky ?? 0);
    f = r.stats.unexpected;
    s = r.stats.skipped;
  } else {
    p = r.numPassedTests;
    f = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
  console.log(`${file}: ${p} passed, ${f} failed, ${s} skipped`);
  passed += p;
  failed += f;
  skipped += s;
}
failed += missing;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
