/**
 * Where a container goes when its batch does not say (evacuate): pure, so the rule is tested on its
 * own (tests/unit/placement.test.ts) and pre-flight only feeds it what it measured.
 */
import { formatBytes } from "@/lib/format";

/** A host that might take one container: its room left and pre-flight's objections for this container there. */
export type Candidate = { name: string; freeBytes: number; budgetBytes: number; errors: string[] };

/**
 * The candidate with the most free budget that has room and no objection (the first of equals),
 * or -1. Always taking the roomiest host spreads a host's containers over the others in proportion
 * to their room, so each keeps a margin instead of one being filled first.
 */
export function pickTarget(candidates: readonly Candidate[], need: number): number {
  let best = -1;
  candidates.forEach((c, n) => {
    if (c.errors.length || c.freeBytes < need) return;
    if (best < 0 || c.freeBytes > candidates[best]!.freeBytes) best = n;
  });
  return best;
}

/** Why no candidate takes a container: each host's first objection, or its room. */
export function nowhereReason(candidates: readonly Candidate[], need: number): string {
  if (!candidates.length) return "no other host can take containers (register one, or end another's maintenance)";
  const why = candidates.map((c) =>
    c.errors.length
      ? `${c.name}: ${c.errors[0]!.replace(`${c.name}: `, "")}`
      : `${c.name}: does not fit its memory budget (needs ${formatBytes(need)}, ${formatBytes(c.freeBytes)} of ${formatBytes(c.budgetBytes)} free after the containers planned before it)`,
  );
  return `no host can take it: ${why.join("; ")}`;
}
