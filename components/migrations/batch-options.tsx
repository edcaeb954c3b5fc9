"use client";
import { useEffect, useRef } from "react";

/** The option fields a batch dialog shares (migrate, evacuate), and its modal's opening. */

const field = "w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900";

/** A `<dialog>` shown as a modal once mounted. */
export function useShownModal() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return ref;
}

/** How many containers move at once (1-32, as the batch options schema allows). */
export function ConcurrencyField({ value, onChange }: { value: number; onChange: (n: number) => void }) {
  return (
    <label className="text-sm">
      <span className="mb-1 block font-medium">At a time</span>
      <input type="number" min={1} max={32} aria-label="Concurrency" className={field} value={value} onChange={(e) => onChange(Math.max(1, Math.min(32, Number(e.target.value) || 1)))} />
    </label>
  );
}

/** What to do when the name is taken on the target; "fail" reads differently where another host may take the container. */
export function NameConflictField({ value, onChange, failLabel }: { value: "fail" | "suffix"; onChange: (v: "fail" | "suffix") => void; failLabel: string }) {
  return (
    <label className="text-sm">
      <span className="mb-1 block font-medium">Name taken on target</span>
      <select aria-label="Name taken on target" className={field} value={value} onChange={(e) => onChange(e.target.value as "fail" | "suffix")}>
        <option value="fail">{failLabel}</option>
        <option value="suffix">Rename (add -migrated)</option>
      </select>
    </label>
  );
}
