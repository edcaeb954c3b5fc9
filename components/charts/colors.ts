/** Colours that read on white and on slate-950 alike. */
export const PHASE_COLORS: Record<string, string> = {
  preflight: "#94a3b8",
  "image-sync": "#a78bfa",
  create: "#60a5fa",
  checkpoint: "#f59e0b",
  transfer: "#f97316",
  restore: "#ef4444",
  verify: "#14b8a6",
  cleanup: "#22c55e",
  rollback: "#be123c",
};

export const OUTCOME_COLORS: Record<string, string> = {
  done: "#16a34a",
  "rolled-back": "#d97706",
  skipped: "#64748b",
  failed: "#dc2626",
};

export const AXIS = { tick: { fill: "currentColor", fontSize: 12 }, stroke: "currentColor" } as const;
export const TOOLTIP = {
  contentStyle: { background: "rgb(15 23 42)", border: "none", borderRadius: 6, color: "#f8fafc", fontSize: 12 },
  itemStyle: { color: "#f8fafc" },
  labelStyle: { color: "#cbd5e1" },
} as const;
