/** Figures over migration items. Pure: used by history pages, the API and the exports. */
import { PHASE_NAMES, type PhaseName } from "@/lib/migration/state";
import { percentile, type MigrationItemView, type MigrationView } from "@/lib/migration/view";

export { percentile };

/** Milliseconds spent in each phase (a phase run twice, e.g. after a restart, counts in full). */
export function phaseDurations(item: Pick<MigrationItemView, "phases">): Record<PhaseName, number | null> {
  const out = Object.fromEntries(PHASE_NAMES.map((p) => [p, null])) as Record<PhaseName, number | null>;
  for (const ph of item.phases) {
    if (!ph.endedAt) continue;
    const ms = Date.parse(ph.endedAt) - Date.parse(ph.startedAt);
    out[ph.name] = (out[ph.name] ?? 0) + ms;
  }
  return out;
}

/** Buckets for a downtime histogram: fixed edges that read well in ms and s. */
const DOWNTIME_EDGES_MS = [0, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 20000, 30000];

export function downtimeHistogram(values: number[], edges = DOWNTIME_EDGES_MS): { label: string; from: number; to: number | null; count: number }[] {
  const label = (ms: number) => (ms < 1000 ? `${ms} ms` : `${ms / 1000} s`);
  const buckets = edges.map((from, i) => {
    const to = edges[i + 1] ?? null;
    return { label: to === null ? `≥ ${label(from)}` : `${label(from)}–${label(to)}`, from, to, count: 0 };
  });
  for (const v of values) {
    const b = buckets.findLast((x) => v >= x.from);
    if (b) b.count++;
  }
  // Trim empty buckets at the high end so the chart is not mostly blank.
  let last = buckets.length - 1;
  while (last > 0 && buckets[last]!.count === 0) last--;
  return buckets.slice(0, last + 1);
}

export const CSV_COLUMNS = ["name", "sourceHost", "targetHost", "status", "downtimeMs", "bytes", ...PHASE_NAMES.map((p) => `${p}Ms`), "error"] as const;

function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV row per container: name, hosts, status, downtime, bytes, one column per phase (ms), error. */
export function migrationCsv(m: MigrationView): string {
  const rows = [CSV_COLUMNS.join(",")];
  for (const i of m.items) {
    const d = phaseDurations(i);
    rows.push(
      [i.name, i.hostName, i.targetHostName ?? "", i.status, i.downtimeMs, i.bytesMoved, ...PHASE_NAMES.map((p) => d[p]), i.error].map(csvCell).join(","),
    );
  }
  return rows.join("\r\n") + "\r\n";
}

/** Parses what migrationCsv wrote (RFC 4180 quoting). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
