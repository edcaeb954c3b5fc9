/** Where sign-in may send the browser afterwards (`/login?next=...`). */

// Any origin will do for the check: a path resolved against it must come back with the same origin.
const SELF = "http://ferry.invalid";

/**
 * `next` as a path on this site, or null. Browsers read "\" as "/" and drop tabs and newlines in
 * URLs, so "/\evil.example" and "/<TAB>/evil.example" are "//evil.example": another site. Only a
 * single "/" followed by something other than "/" or "\" is accepted, with no whitespace or control
 * characters anywhere, and the result must still resolve to this origin.
 */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.length > 2048) return null;
  if (!/^\/[^/\\]/.test(raw)) return null;
  // \s covers Unicode spaces and line separators; the ranges are C0, DEL and C1 controls.
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, SELF);
  } catch {
    return null;
  }
  if (url.origin !== SELF) return null;
  // Resolving can itself make "//": "/..//evil.example" becomes "//evil.example". Check the result too.
  const path = `${url.pathname}${url.search}${url.hash}`;
  return /^\/[^/\\]/.test(path) ? path : null;
}
