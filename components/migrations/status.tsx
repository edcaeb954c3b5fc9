import { Badge, type Tone } from "@/components/ui/badge";

const TONE: Record<string, Tone> = {
  done: "green",
  "rolled-back": "amber",
  skipped: "slate",
  failed: "red",
  cancelled: "slate",
  pending: "slate",
  running: "blue",
};

const LABEL: Record<string, string> = {
  "image-sync": "syncing image",
  creating: "creating",
  checkpointing: "checkpointing",
  transferring: "transferring",
  restoring: "restoring",
  verifying: "verifying",
  cleanup: "cleaning up",
  "rolling-back": "rolling back",
};

export function MigrationStatusBadge({ status }: { status: string }) {
  return <Badge tone={TONE[status] ?? "blue"}>{LABEL[status] ?? status}</Badge>;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
      <div className="h-full rounded-full bg-teal-600 transition-[width] duration-300" style={{ width: `${pct}%` }} />
    </div>
  );
}
