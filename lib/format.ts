/** Formatting helpers shared by server and browser. Pure. */

const UNITS: [string, number][] = [
  ["second", 1],
  ["minute", 60],
  ["hour", 3600],
  ["day", 86400],
  ["week", 7 * 86400],
  ["month", 30 * 86400],
  ["year", 365 * 86400],
];

/**
 * Seconds of uptime from Docker's status text ("Up 3 minutes", "Up About an hour (Paused)",
 * "Up Less than a second"). Null when the text is not an "Up" status.
 */
export function parseDockerUptime(status: string): number | null {
  const m = /^Up (.+?)(?: \((?:Paused|healthy|unhealthy|health: starting)\))*$/.exec(status.trim());
  if (!m) return null;
  const text = m[1]!.toLowerCase();
  if (text === "less than a second") return 0;
  const about = /^about (a|an) (\w+)$/.exec(text);
  if (about) return unitSeconds(about[2]!) ?? null;
  const n = /^(\d+) (\w+?)s?$/.exec(text);
  if (!n) return null;
  const unit = unitSeconds(n[2]!);
  return unit === undefined ? null : Number(n[1]) * unit;
}

function unitSeconds(word: string): number | undefined {
  return UNITS.find(([name]) => word.startsWith(name))?.[1];
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function timeAgo(date: Date | string | null | undefined, now = Date.now()): string {
  if (!date) return "never";
  const t = typeof date === "string" ? Date.parse(date) : date.getTime();
  const s = Math.round((now - t) / 1000);
  if (s < 5) return "just now";
  return `${formatDuration(s)} ago`;
}
