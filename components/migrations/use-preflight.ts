"use client";
import { useEffect, useRef, useState } from "react";
import type { MigrationActionState } from "@/lib/actions/migrations";

/** Changes of target or options settle this long before pre-flight runs again (typing "12" is one check). */
const RECHECK_DELAY_MS = 300;

/**
 * Pre-flight for a dialog: runs as the dialog opens, again (debounced) whenever the request
 * changes, and on `recheck`. Only the answer to the current request is shown: `state` is null
 * while that one is loading, so Start can be disabled exactly then.
 */
export function usePreflight<R>(request: R, enabled: boolean, check: (request: R) => Promise<MigrationActionState>) {
  const [round, setRound] = useState(0);
  const [checked, setChecked] = useState<{ ticket: string; state: MigrationActionState } | null>(null);
  const latest = useRef("");
  const opened = useRef(false);
  // One check per distinct request (a refreshed selection with the same rows is the same request) and per "Check again".
  const ticket = `${JSON.stringify(request)}#${round}`;

  useEffect(() => {
    if (!enabled) return;
    latest.current = ticket;
    const run = () =>
      check(request).then(
        (state) => latest.current === ticket && setChecked({ ticket, state }),
        () => latest.current === ticket && setChecked({ ticket, state: { ok: false, message: "Pre-flight could not be run; check again" } }),
      );
    if (!opened.current) {
      opened.current = true;
      void run();
      return;
    }
    const timer = setTimeout(run, RECHECK_DELAY_MS);
    return () => clearTimeout(timer);
    // `ticket` names the request and the round: the effect runs again exactly when either changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ticket]);

  const state = checked?.ticket === ticket ? checked.state : null;
  return { ticket, state, checking: enabled && !state, recheck: () => setRound((r) => r + 1) };
}
