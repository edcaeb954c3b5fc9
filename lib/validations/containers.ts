import { z } from "zod";

/** The states Docker reports for a container (`State` of GET /containers/json). */
export const CONTAINER_STATES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"] as const;

const FILTERS = "host, state, name, image";

/**
 * GET /api/v1/containers?host=&state=&name=&image=: which containers of which hosts. Every filter is
 * optional; an unknown one is refused by name (a typo must not silently widen the answer).
 */
export const containerQuerySchema = z.strictObject(
  {
    host: z
      .string()
      .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/, "host must be a host's id or name (up to 64 letters, digits, '.', '_' or '-')")
      .optional()
      .describe("a host's id or its name; only that host is asked"),
    state: z
      .enum(CONTAINER_STATES, { message: `state must be one of ${CONTAINER_STATES.join(", ")}` })
      .optional()
      .describe("Docker's state of the container"),
    name: z.string().max(128, "name has at most 128 characters").optional().describe("part of the container's name (any case)"),
    image: z.string().max(256, "image has at most 256 characters").optional().describe("part of the container's image (any case)"),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `Unknown filter(s): ${iss.keys.join(", ")} (filters are ${FILTERS})` : "The filters must be query parameters") },
);

export type ContainerQuery = z.output<typeof containerQuerySchema>;

/** Whether a container passes the filters other than host (which picks the hosts to ask). */
export function containerMatches(c: { name: string; image: string; state: string }, q: ContainerQuery): boolean {
  const has = (text: string, part: string | undefined) => !part || text.toLowerCase().includes(part.toLowerCase());
  return (!q.state || c.state === q.state) && has(c.name, q.name) && has(c.image, q.image);
}
