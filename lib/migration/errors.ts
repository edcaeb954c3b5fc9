import { DockerError } from "@/lib/docker/errors";
import type { PhaseName } from "@/lib/migration/state";

/** A failure inside one phase of one item, with the host and Docker's own words where it answered. */
export class MigrationError extends Error {
  constructor(
    readonly phase: PhaseName,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }

  static wrap(phase: PhaseName, err: unknown): MigrationError {
    if (err instanceof MigrationError) return err;
    if (err instanceof DockerError) return new MigrationError(phase, err.code, `${phase}: ${err.message}`);
    const msg = err instanceof Error ? err.message : String(err);
    return new MigrationError(phase, "INTERNAL", `${phase}: ${msg}`);
  }
}

/** A container is already in a batch that has not ended (one operation per container; HTTP 409). */
export class MigrationConflictError extends Error {
  readonly code = "ALREADY_MIGRATING";
  constructor(readonly containers: string[]) {
    super(`already being migrated: ${containers.join(", ")}`);
  }
}
