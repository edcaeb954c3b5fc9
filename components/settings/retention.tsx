"use client";
import { useActionState } from "react";
import { saveRetentionAction, type RetentionState } from "@/lib/actions/settings";
import { Button } from "@/components/ui/button";
import { Field, FormMessage } from "@/components/ui/field";

export function RetentionForm({ days }: { days: number }) {
  const [state, save, saving] = useActionState<RetentionState, FormData>(saveRetentionAction, {});
  return (
    <form action={save} className="space-y-3" aria-label="Retention">
      <div className="flex flex-wrap items-end gap-3">
        <div className="w-40">
          <Field label="Keep detail for (days)" name="days" type="number" min={1} max={3650} defaultValue={days} required />
        </div>
        <Button type="submit" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </Button>
      </div>
      <FormMessage ok={state.ok} message={state.message} />
    </form>
  );
}
