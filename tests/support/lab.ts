import fs from "node:fs";
import Docker from "dockerode";

/** The lab's two hosts (scripts/lab.sh). Tests that need them fail, never skip, when they are down. */
export const LAB = {
  a: { name: "lab-a", endpoint: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" },
  b: { name: "lab-b", endpoint: "unix:///run/ferry-lab-b.sock", socketPath: "/run/ferry-lab-b.sock" },
  image: "ferry/counter:lab",
  label: "ferry.lab",
} as const;

export function labDocker(which: "a" | "b"): Docker {
  return new Docker({ socketPath: LAB[which].socketPath, version: "v1.41" });
}

export async function assertLabUp(): Promise<void> {
  for (const which of ["a", "b"] as const) {
    const sock = LAB[which].socketPath;
    if (!fs.existsSync(sock)) throw new Error(`lab host ${which.toUpperCase()} is down: ${sock} is missing. Run: npm run lab`);
    await labDocker(which)
      .ping()
      .catch((err: Error) => {
        throw new Error(`lab host ${which.toUpperCase()} does not answer on ${sock}: ${err.message}. Run: npm run lab`);
      });
  }
}

/** Starts a counter container (prints 1, 2, 3 … once a second) on a lab host. */
export async function startCounter(which: "a" | "b", name: string): Promise<Docker.Container> {
  const docker = labDocker(which);
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const c = await docker.createContainer({
    name,
    Image: LAB.image,
    Hostname: name,
    Labels: { [LAB.label]: "1", "ferry.test": "1" },
    HostConfig: { NetworkMode: "none" },
  });
  await c.start();
  return c;
}

export async function removeTestContainers(): Promise<void> {
  for (const which of ["a", "b"] as const) {
    const docker = labDocker(which);
    const list = await docker.listContainers({ all: true, filters: { label: ["ferry.test=1"] } });
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
}
