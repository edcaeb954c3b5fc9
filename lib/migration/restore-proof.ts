/**
 * Did the daemon restore the container, or start it afresh? Docker answers `start --checkpoint`
 * the same way in both cases (docker/for-linux#1192, criu#1365: some versions ignore the
 * checkpoint and start the container from its command line, memory lost). The evidence it leaves:
 * containerd runs each task in a work directory of its own, made anew at every start, and runc's
 * restore has CRIU write its `restore.log` there, ending "Restore finished successfully". A task
 * directory with no such log is a container that was started, not restored.
 *
 * Pure (the reading is lib/migration/task-reader.ts); unit-tested.
 */

/** Where containerd keeps a task's work directory, in the order tried: dockerd's own containerd, a system containerd (Docker CE's packages). */
export function taskRoots(dockerRootDir: string): string[] {
  return [`${dockerRootDir}/containerd/daemon/io.containerd.runtime.v2.task/moby`, "/var/lib/containerd/io.containerd.runtime.v2.task/moby"];
}

export const RESTORE_LOG = "restore.log";
const FINISHED = /Restore finished successfully/;

/** What the target host showed for a running container: its task directory (null: in none of `looked`) and the log in it (null: none). */
export type TaskEvidence = { dir: string | null; log: string | null; looked: string[] };

export type RestoreProof =
  | { proven: true; detail: string }
  | { proven: false; code: "STARTED_AFRESH" | "RESTORE_UNPROVEN"; message: string };

/** The last line of a CRIU log that has text, without its timestamp. */
function lastLine(log: string): string {
  const lines = log.trimEnd().split("\n");
  return (lines[lines.length - 1] ?? "").replace(/^\(\s*[\d.]+\)\s*/, "").slice(0, 200);
}

/** Judges what a host showed. `host` and `version` name the target in the messages. */
export function judgeRestore(e: TaskEvidence, host: string, version: string): RestoreProof {
  const docker = `Docker ${version || "(version unknown)"}`;
  if (!e.dir)
    return {
      proven: false,
      code: "RESTORE_UNPROVEN",
      message: `the restore on ${host} (${docker}) cannot be proven: containerd's task directory for the container is in none of the places Ferry reads (${e.looked.join(", ")}), so CRIU's restore log cannot be read`,
    };
  if (e.log === null)
    return {
      proven: false,
      code: "STARTED_AFRESH",
      message: `${host} (${docker}) started the container afresh instead of restoring it: its task directory ${e.dir} has no CRIU restore log, so its memory state is not the source's`,
    };
  if (!FINISHED.test(e.log))
    return {
      proven: false,
      code: "RESTORE_UNPROVEN",
      message: `the restore on ${host} (${docker}) cannot be proven: CRIU's restore log in ${e.dir} does not say the restore finished (its last line: "${lastLine(e.log)}")`,
    };
  return { proven: true, detail: `restored by CRIU: its restore log in the task directory says "Restore finished successfully"` };
}
