import "server-only";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DockerError } from "@/lib/docker/errors";
import { bindOnly, call, readAll, removeContainer, type Side } from "@/lib/migration/docker-ops";
import { createTool } from "@/lib/migration/probe";
import { RESTORE_LOG, taskRoots, type TaskEvidence } from "@/lib/migration/restore-proof";
import { tarFiles } from "@/lib/migration/tar";

const MOUNT = "/ferry-tasks";

/**
 * Reads a running container's task directory on a host (lib/migration/restore-proof.ts says why):
 * a never-started helper per task root that exists on the host, made on the first read, mounting
 * the root read-only; each read is one archive GET of `<root>/<container id>`.
 */
export class TaskReader {
  private readers?: Promise<{ root: string; helper: Docker.Container }[]>;

  constructor(
    readonly side: Side,
    readonly tag: string,
  ) {}

  private open(): Promise<{ root: string; helper: Docker.Container }[]> {
    this.readers ??= (async () => {
      const made: { root: string; helper: Docker.Container }[] = [];
      for (const root of taskRoots(this.side.rootDir)) {
        try {
          made.push({ root, helper: await createTool(this.side, ["cat"], this.tag, { Mounts: [{ ...bindOnly(root, MOUNT), ReadOnly: true }] }) });
        } catch (err) {
          // "invalid mount config for type "bind": bind source path does not exist": not this layout.
          if (!(err instanceof DockerError && /does not exist|no such file/i.test(err.message))) {
            await Promise.allSettled(made.map((r) => removeContainer(this.side, r.helper.id)));
            throw err;
          }
        }
      }
      return made;
    })().catch((err: unknown) => {
      this.readers = undefined;
      throw err;
    });
    return this.readers;
  }

  /** The container's task directory and CRIU's restore log in it, as the host shows them now. */
  async evidence(containerId: string): Promise<TaskEvidence> {
    const looked = taskRoots(this.side.rootDir);
    for (const { root, helper } of await this.open()) {
      let tar: Buffer;
      try {
        tar = await readAll((await call(this.side, () => helper.getArchive({ path: `${MOUNT}/${containerId}` }))) as unknown as Readable);
      } catch (err) {
        if (err instanceof DockerError && err.code === "NOT_FOUND") continue;
        throw err;
      }
      const log = [...tarFiles(tar)].find(([name]) => name.endsWith(`/${RESTORE_LOG}`));
      return { dir: `${root}/${containerId}`, log: log ? log[1].toString("utf8") : null, looked };
    }
    return { dir: null, log: null, looked };
  }

  async close(): Promise<void> {
    const readers = await this.readers?.catch(() => []);
    this.readers = undefined;
    await Promise.allSettled((readers ?? []).map((r) => removeContainer(this.side, r.helper.id)));
  }
}
