import { execFileSync } from "node:child_process";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { LAB_REMOTE, readLabFile } from "../tests/support/lab";
import { database, ensureAdmin, login } from "./helpers";

/** The body lines of a PEM file: what must never come back to the browser. */
const secretLines = (path: string) =>
  readLabFile(path)
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"));

/** Every response body the page receives from now on (documents, RSC payloads, action results). */
function recordResponses(page: Page): string[] {
  const bodies: string[] = [];
  page.on("response", async (res) => {
    const type = res.headers()["content-type"] ?? "";
    if (!/html|text|json|x-component/.test(type)) return;
    bodies.push(await res.text().catch(() => ""));
  });
  return bodies;
}

/** Fills the "Register a host" form: a TLS host when given files for ca/cert/key, an SSH host when given a key file. */
async function fillHostForm(page: Page, name: string, endpoint: string, files: { ca: string; cert: string; key: string } | { sshKey: string }): Promise<Locator> {
  await page.goto("/hosts");
  const form = page.getByRole("form", { name: "Register a host" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Endpoint").fill(endpoint);
  if ("sshKey" in files) {
    await form.getByLabel("SSH private key").fill(readLabFile(files.sshKey));
  } else {
    await form.getByLabel("Use TLS (client certificate)").check();
    await form.getByLabel("CA certificate").fill(readLabFile(files.ca));
    await form.getByLabel("Client certificate", { exact: true }).fill(readLabFile(files.cert));
    await form.getByLabel("Client key").fill(readLabFile(files.key));
  }
  return form;
}

test.beforeAll(async ({ browser, baseURL }) => ensureAdmin(browser, baseURL!));
// B registered twice more would show its containers three times to the specs that follow.
test.afterAll(() => {
  const db = database();
  db.prepare("DELETE FROM Host WHERE name IN ('b-tls', 'b-ssh')").run();
  db.close();
});

test.describe.serial("host B over mutual TLS and SSH, registered through the hosts page", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("registers B over TCP with mutual TLS; the certificate and key never come back", async ({ page }) => {
    const bodies = recordResponses(page);
    const form = await fillHostForm(page, "b-tls", LAB_REMOTE.tlsEndpoint, LAB_REMOTE.tls);
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("status")).toContainText(/Reachable in \d+ ms/);
    await form.getByRole("button", { name: "Register host" }).click();
    await expect(form.getByRole("status")).toContainText(/Saved "b-tls" \(Docker 20\.10\.\d+\S*, API 1\.41\)/);
    const row = page.getByTestId("host-row-b-tls");
    await expect(row).toContainText("healthy");
    await expect(row).toContainText("TLS client certificate stored");
    await expect(row).toContainText("/var/lib/ferry-lab-b/docker");
    await page.reload();
    await expect(page.getByTestId("host-row-b-tls")).toContainText("healthy");
    const seen = bodies.join("\n");
    expect(seen).toContain("b-tls"); // the responses were recorded: the check below is not vacuous
    for (const line of [...secretLines(LAB_REMOTE.tls.key), ...secretLines(LAB_REMOTE.tls.cert)]) expect(seen).not.toContain(line);
  });

  test("a client certificate from another CA is named as such", async ({ page }) => {
    const form = await fillHostForm(page, "b-tls-other", LAB_REMOTE.tlsEndpoint, { ca: LAB_REMOTE.tls.ca, ...LAB_REMOTE.otherClient });
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("alert")).toContainText('signed by "Ferry lab other CA", not by the CA given for this host');
  });

  test("registers B over SSH: the host key is pinned and shown, the private key never comes back", async ({ page }) => {
    const bodies = recordResponses(page);
    const fingerprint = execFileSync("ssh-keygen", ["-lf", LAB_REMOTE.sshHostKeyPub], { encoding: "utf8" }).split(" ")[1]!;
    const form = await fillHostForm(page, "b-ssh", LAB_REMOTE.sshEndpoint, { sshKey: LAB_REMOTE.sshKey });
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("status")).toContainText(/Reachable in \d+ ms/);
    await expect(form.getByRole("status")).toContainText(`SSH host key ${fingerprint}`);
    await form.getByRole("button", { name: "Register host" }).click();
    await expect(form.getByRole("status")).toContainText(/Saved "b-ssh" \(Docker 20\.10\.\d+\S*, API 1\.41\)/);
    const row = page.getByTestId("host-row-b-ssh");
    await expect(row).toContainText("healthy");
    await expect(row).toContainText("SSH key stored");
    await expect(page.getByTestId("host-key-b-ssh")).toHaveText(`host key ${fingerprint}`);
    await page.reload();
    await expect(page.getByTestId("host-key-b-ssh")).toHaveText(`host key ${fingerprint}`);
    const seen = bodies.join("\n");
    expect(seen).toContain(fingerprint);
    for (const line of secretLines(LAB_REMOTE.sshKey)) expect(seen).not.toContain(line);
  });

  test("an SSH user without docker is named as such", async ({ page }) => {
    const form = await fillHostForm(page, "b-ssh-nodocker", LAB_REMOTE.sshNoDockerEndpoint, { sshKey: LAB_REMOTE.sshKey });
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("alert")).toContainText("ferry-lab-nodocker@127.0.0.1 has no docker command");
  });
});
