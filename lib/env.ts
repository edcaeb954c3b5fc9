import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";

/** Environment, checked once with zod. Every setting has a safe default for a local install. */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DATABASE_URL: z.string().min(1).default(`file:${path.resolve("data/ferry.db")}`),
  /** Creates the admin account on first start instead of the setup page. */
  FERRY_ADMIN_USER: z.string().min(1).max(64).default("admin"),
  FERRY_ADMIN_PASSWORD: z.string().min(10, "FERRY_ADMIN_PASSWORD must have at least 10 characters").optional(),
  /** Bearer token accepted by /api/v1 in addition to tokens created in Settings. */
  FERRY_API_TOKEN: z.string().min(24, "FERRY_API_TOKEN must have at least 24 characters").optional(),
  /** Mark the session cookie Secure (set when Ferry is served over HTTPS). */
  FERRY_SECURE_COOKIES: z.enum(["0", "1"]).default("0"),
  /** Seconds between background health checks of every host. */
  FERRY_HEALTH_INTERVAL: z.coerce.number().int().min(2).max(3600).default(15),
  /** Seconds between memory samples for the containers table (at most 50 containers per host each time). */
  FERRY_MEMORY_INTERVAL: z.coerce.number().int().min(5).max(3600).default(30),
  /** Milliseconds a Docker API call may take before the host counts as unreachable. */
  FERRY_DOCKER_TIMEOUT_MS: z.coerce.number().int().min(200).max(120_000).default(5000),
  /**
   * Milliseconds a single Docker call of a migration may take, and how long a checkpoint or image
   * stream may carry no data, before the host counts as gone and the move rolls back. Checkpoint
   * and restore get this plus time for their size.
   */
  FERRY_MIGRATION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /**
   * How long a rollback waits for a source host that does not answer (its daemon killed or
   * restarting) before it gives up and reports the command to resume the container by hand.
   */
  FERRY_SOURCE_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(300_000),
  /** Register the machine's own /var/run/docker.sock as host "local" on first start. */
  FERRY_REGISTER_LOCAL: z.enum(["0", "1"]).default("1"),
  /**
   * Reverse proxies whose X-Forwarded-For is believed (comma-separated IP addresses). Everyone
   * else is known by the socket's own address, so a client cannot choose its rate-limit key.
   */
  FERRY_TRUSTED_PROXY: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((a) => a.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine((a) => isIP(a) !== 0, { error: (iss) => `"${String(iss.input)}" is not an IP address` }))),
  /** Hours a session lasts from sign-in, however much it is used. */
  FERRY_SESSION_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(24 * 7),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  cached = parsed.data;
  process.env.DATABASE_URL ??= cached.DATABASE_URL;
  return cached;
}
