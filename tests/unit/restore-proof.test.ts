import { describe, expect, it } from "vitest";
import { judgeRestore, taskRoots } from "@/lib/migration/restore-proof";
import { oneFileTar, tarFiles, tarHeader } from "@/lib/migration/tar";

const DIR = "/var/lib/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/abc";
const looked = taskRoots("/var/lib/docker");
const LOG = "(00.000000) CRIU run id = 5a7d\n(00.100000) Restoring tasks\n(00.216481) Restore finished successfully. Tasks resumed.\n(00.216484) Writing stats\n(00.216564) \tRPC\n";

describe("judgeRestore: telling a restore from a fresh start", () => {
  it("proven when CRIU's restore log in the task directory says the restore finished", () => {
    expect(judgeRestore({ dir: DIR, log: LOG, looked }, "host-b", "26.1.5")).toEqual({
      proven: true,
      detail: 'restored by CRIU: its restore log in the task directory says "Restore finished successfully"',
    });
  });

  it("a task directory without a restore log is a container started afresh", () => {
    const r = judgeRestore({ dir: DIR, log: null, looked }, "host-b", "26.1.5");
    expect(r).toEqual({
      proven: false,
      code: "STARTED_AFRESH",
      message: `host-b (Docker 26.1.5) started the container afresh instead of restoring it: its task directory ${DIR} has no CRIU restore log, so its memory state is not the source's`,
    });
  });

  it("a log that does not say the restore finished is not a proof, and its last line is quoted without its timestamp", () => {
    const r = judgeRestore({ dir: DIR, log: "(00.000000) CRIU run id = 1\n(00.010000) Error (criu/cr-restore.c:1234): Can't fork for 1: File exists\n", looked }, "host-b", "26.1.5");
    expect(r.proven).toBe(false);
    if (r.proven) return;
    expect(r.code).toBe("RESTORE_UNPROVEN");
    expect(r.message).toBe(`the restore on host-b (Docker 26.1.5) cannot be proven: CRIU's restore log in ${DIR} does not say the restore finished (its last line: "Error (criu/cr-restore.c:1234): Can't fork for 1: File exists")`);
  });

  it("no task directory where containerd keeps them: cannot be proven, naming every place looked", () => {
    const r = judgeRestore({ dir: null, log: null, looked }, "host-b", "");
    expect(r.proven).toBe(false);
    if (r.proven) return;
    expect(r.code).toBe("RESTORE_UNPROVEN");
    expect(r.message).toBe(
      "the restore on host-b (Docker (version unknown)) cannot be proven: containerd's task directory for the container is in none of the places Ferry reads (/var/lib/docker/containerd/daemon/io.containerd.runtime.v2.task/moby, /var/lib/containerd/io.containerd.runtime.v2.task/moby), so CRIU's restore log cannot be read",
    );
  });
});

describe("tarFiles: the regular files of an archive API answer", () => {
  it("reads each file by path, skipping directories, and takes a PAX path for the entry that follows", () => {
    const long = `${"d".repeat(120)}/restore.log`;
    const pax = Buffer.from(`${long.length + 10} path=${long}\n`);
    const tar = Buffer.concat([
      tarHeader("abc/", 0, 0o755, "5"),
      oneFileTar("abc/stats-restore", Buffer.from("xyz")).subarray(0, 1024),
      tarHeader("PaxHeaders/x", pax.length, 0o644, "0").fill("x", 156, 157),
      pax,
      Buffer.alloc(512 - pax.length, 0),
      oneFileTar("abc/short-name", Buffer.from(LOG)),
    ]);
    const files = tarFiles(tar);
    expect([...files.keys()]).toEqual(["abc/stats-restore", long]);
    expect(files.get(long)!.toString()).toBe(LOG);
  });

  it("an empty archive has no files", () => {
    expect(tarFiles(Buffer.alloc(1024, 0)).size).toBe(0);
  });
});
