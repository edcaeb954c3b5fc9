/**
 * A container's memory as `docker stats` shows it (use minus inactive page cache), read from its
 * cgroup's files instead of Docker's stats call: on Docker 20.10 each one-shot stats call takes a
 * second (it waits for the stats collector's next tick), so sampling 400 containers took minutes.
 * Ferry's tool reads the files of every container of a host in one run. Pure: paths and parsing.
 */

export type CgroupLayout = { driver: string; version: string };

/** Where the tool sees the host's /sys/fs/cgroup (read-only). */
export const CGROUP_MOUNT = "/ferry-cgroup";

/** The container's cgroup directory below the cgroup root, as Docker lays it out. */
function cgroupDir(layout: CgroupLayout, id: string, parent?: string | null): string {
  const p = (parent ?? "").replace(/^\/+|\/+$/g, "");
  return layout.driver === "systemd" ? `${p || "system.slice"}/docker-${id}.scope` : `${p || "docker"}/${id}`;
}

/** The two files to read: the usage, and memory.stat for the inactive page cache. */
export function memoryFiles(layout: CgroupLayout, id: string, parent?: string | null): { usage: string; stat: string } {
  const dir = cgroupDir(layout, id, parent);
  return layout.version === "2"
    ? { usage: `${CGROUP_MOUNT}/${dir}/memory.current`, stat: `${CGROUP_MOUNT}/${dir}/memory.stat` }
    : { usage: `${CGROUP_MOUNT}/memory/${dir}/memory.usage_in_bytes`, stat: `${CGROUP_MOUNT}/memory/${dir}/memory.stat` };
}

/** Bytes in use from the two files' text, as Docker's CLI computes it; null when either is missing or unreadable. */
export function memoryFromFiles(usage: string | null | undefined, stat: string | null | undefined): number | null {
  if (usage == null || stat == null) return null;
  const used = Number(usage.trim());
  if (!Number.isFinite(used) || usage.trim() === "") return null;
  const field = (name: string) => {
    const m = new RegExp(`^${name} (\\d+)$`, "m").exec(stat);
    return m ? Number(m[1]) : null;
  };
  const inactive = field("total_inactive_file") ?? field("inactive_file") ?? 0;
  return Math.max(0, used - inactive);
}
