import { z } from "zod";

/**
 * What a move's cleanup could not remove, kept on its item (`MigrationItem.leftovers`, JSON) so the
 * host sweep can retry it when the host lets it: a checkpoint left in a container's checkpoints/
 * (as large as the container's memory), or a stopped source that was to be removed. Helpers and
 * half-made targets carry labels and are found by listing; these two are not, so they are recorded.
 * Pure: parsing, adding and choosing; the sweep does the Docker calls.
 */

const leftoverSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("checkpoint"), hostId: z.string(), containerId: z.string(), checkpointId: z.string() }),
  z.object({ kind: z.literal("stopped-source"), hostId: z.string(), containerId: z.string(), name: z.string() }),
]);
export type Leftover = z.infer<typeof leftoverSchema>;

export function parseLeftovers(json: string | null): Leftover[] {
  if (!json) return [];
  const parsed = z.array(leftoverSchema).safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : [];
}

const same = (a: Leftover, b: Leftover) => a.kind === b.kind && a.hostId === b.hostId && a.containerId === b.containerId && (a.kind !== "checkpoint" || (b.kind === "checkpoint" && a.checkpointId === b.checkpointId));

/** The item's list with `add` in it once; null for an empty list (the column stays empty). */
export function withLeftovers(json: string | null, add: Leftover[]): string | null {
  const list = parseLeftovers(json);
  for (const l of add) if (!list.some((x) => same(x, l))) list.push(l);
  return list.length ? JSON.stringify(list) : null;
}

/** The item's list without what was removed. */
export function withoutLeftovers(json: string | null, removed: Leftover[]): string | null {
  const list = parseLeftovers(json).filter((l) => !removed.some((r) => same(l, r)));
  return list.length ? JSON.stringify(list) : null;
}

export const describeLeftover = (l: Leftover) => (l.kind === "checkpoint" ? `the checkpoint ${l.checkpointId} of ${l.containerId.slice(0, 12)}` : `the stopped source ${l.name}`);
