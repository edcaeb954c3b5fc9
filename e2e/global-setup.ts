import { assertLabUp, removeTestContainers, startCounter } from "../tests/support/lab";

/** The lab must be up (a missing lab fails the run), with three counters on host A. */
export default async function globalSetup() {
  await assertLabUp();
  await removeTestContainers();
  for (let i = 1; i <= 3; i++) await startCounter("a", `e2e-counter-${i}`);
  return async () => {
    await removeTestContainers();
  };
}
