import { z } from "zod";
import { BATCH_STATUSES } from "@/lib/migration/state";

/** True for a real calendar date written YYYY-MM-DD (2024-02-29 yes, 2023-02-29 and 2024-99-99 no). */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  // Day 0 of the next month is the last day of this one. The Gregorian calendar repeats every 400
  // years, so 2000 + y % 400 has the same leap years and avoids Date's 0-99 => 1900s quirk.
  return d <= new Date(Date.UTC(2000 + (y % 400), mo, 0)).getUTCDate();
}

const dateParam = (label: string) =>
  z.preprocess(
    (v) => (v === "" || v === null ? undefined : v),
    z
      .string()
      .max(10, `${label} must be a date (YYYY-MM-DD)`)
      .refine(isCalendarDate, { error: (iss) => `${label} must be a date (YYYY-MM-DD); “${String(iss.input)}” is not one` })
      .optional(),
  );

/**
 * The history filter from a query string (API and page). Dates must be real; host and outcome
 * are only narrowed (an unknown value means "any", as the page's selects send).
 */
export const historyQuerySchema = z
  .object({
    host: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/).optional().catch(undefined).describe("a host id: batches from or to it (anything else: any host)"),
    outcome: z.enum(BATCH_STATUSES).optional().catch(undefined).describe("the batch's status (anything else: any)"),
    from: dateParam("From").describe("YYYY-MM-DD (UTC), first day"),
    to: dateParam("To").describe("YYYY-MM-DD (UTC), last day"),
  })
  // zod runs this even when a date failed above; only two real dates can be out of order.
  .refine((f) => !f.from || !f.to || !isCalendarDate(f.from) || !isCalendarDate(f.to) || f.from <= f.to, {
    path: ["to"],
    message: "To must not be before From",
  });

export type HistoryQuery = z.output<typeof historyQuerySchema>;

/**
 * For the History page, which must render whatever is in the address bar: the filter without the
 * fields that failed, plus their messages to show.
 */
export function parseHistoryQuery(q: Record<string, string | undefined>): { filter: HistoryQuery; errors: Record<string, string[]> | null } {
  const first = historyQuerySchema.safeParse(q);
  if (first.success) return { filter: first.data, errors: null };
  const errors: Record<string, string[]> = {};
  const rest = { ...q };
  for (const issue of first.error.issues) {
    const key = String(issue.path[0] ?? "_");
    (errors[key] ??= []).push(issue.message);
    delete rest[key];
  }
  const second = historyQuerySchema.safeParse(rest);
  return { filter: second.success ? second.data : {}, errors };
}

const LIMIT = "limit must be a whole number from 1 to 200";
/** A page of the history (API and page): ?limit=25&cursor=<the nextCursor of the previous page>. */
export const pageSchema = z.object({
  limit: z
    .preprocess(
      (v) => (v === undefined || v === "" ? undefined : typeof v === "string" && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
      z.number({ message: LIMIT }).int(LIMIT).min(1, LIMIT).max(200, LIMIT).default(25),
    )
    .describe("batches per page (1-200, default 25)"),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "cursor must be a migration id (the nextCursor of the previous page)")
    .optional()
    .describe("the nextCursor of the previous page"),
});
