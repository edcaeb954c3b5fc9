"use client";
import { useEffect, useRef, type ReactNode, type RefObject } from "react";
import { Button } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/field";

/** What a batch dialog shares (migrate, evacuate): its modal shell and footer, and its option fields. */

const field = "w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-900";

/** A `<dialog>` shown as a modal once mounted. */
export function useShownModal() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return ref;
}

/**
 * A batch dialog's shell: the modal, its title, the body, the pre-flight's message, and Close /
 * Check again / Start. Both buttons stay off while a plan is loading or the batch is starting.
 */
export function BatchDialog({
  dialogRef,
  onClose,
  titleId,
  title,
  width,
  children,
  message,
  checking,
  starting,
  canCheck,
  onCheck,
  canStart,
  onStart,
  startLabel,
}: {
  dialogRef: RefObject<HTMLDialogElement | null>;
  onClose: () => void;
  titleId: string;
  title: ReactNode;
  /** The dialog's Tailwind max-width class. */
  width: string;
  children: ReactNode;
  message?: string;
  checking: boolean;
  starting: boolean;
  canCheck: boolean;
  onCheck: () => void;
  canStart: boolean;
  onStart: () => void;
  startLabel: string;
}) {
  return (
    <dialog
      ref={dialogRef}
      onClose={onClose}
      aria-labelledby={titleId}
      className={`m-auto w-full ${width} rounded-xl border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100`}
    >
      <div className="space-y-4 p-6">
        <h2 id={titleId} className="text-lg font-semibold">
          {title}
        </h2>
        {children}
        <FormMessage message={message} />

        <div className="flex justify-end gap-2">
          <Button variant="ghost" type="button" onClick={() => dialogRef.current?.close()}>
            Close
          </Button>
          <Button variant="secondary" type="button" disabled={checking || starting || !canCheck} onClick={onCheck}>
            {checking ? "Checking…" : "Check again"}
          </Button>
          <Button type="button" disabled={checking || starting || !canStart} onClick={onStart}>
            {starting ? "Starting…" : startLabel}
          </Button>
        </div>
      </div>
    </dialog>
  );
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
