import { execFileSync } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { LAB_REMOTE, readLabFile } from "../tests/support/lab";
import { ensureAdmin, login } from "./helpers";

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

test.beforeAll(async ({ browser, baseURL }) => ensureAdmin(browser, baseURL!));

test.describe.serial("host B over mutual TLS and SSH, registered through the hosts page", () => {
  test.beforeEach(async ({ page }) => login(page));

  test("registers B over TCP with mutual TLS; the certificate and key never come back", async ({ page }) => {
    const bodies = recordResponses(page);
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("b-tls");
    await form.getByLabel("Endpoint").fill(LAB_REMOTE.tlsEndpoint);
    await form.getByLabel("Use TLS (client certificate)").check();
    await form.getByLabel("CA certificate").fill(readLabFile(LAB_REMOTE.tls.ca));
    await form.getByLabel("Client certificate", { exact: true }).fill(readLabFile(LAB_REMOTE.tls.cert));
    await form.getByLabel("Client key").fill(readLabFile(LAB_REMOTE.tls.key));
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
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("b-tls-other");
    await form.getByLabel("Endpoint").fill(LAB_REMOTE.tlsEndpoint);
    await form.getByLabel("Use TLS (client certificate)").check();
    await form.getByLabel("CA certificate").fill(readLabFile(LAB_REMOTE.tls.ca));
    await form.getByLabel("Client certificate", { exact: true }).fill(readLabFile(LAB_REMOTE.otherClient.cert));
    await form.getByLabel("Client key").fill(readLabFile(LAB_REMOTE.otherClient.key));
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("alert")).toContainText('signed by "Ferry lab other CA", not by the CA given for this host');
  });

  test("registers B over SSH: the host key is pinned and shown, the private key never comes back", async ({ page }) => {
    const bodies = recordResponses(page);
    const fingerprint = execFileSync("ssh-keygen", ["-lf", LAB_REMOTE.sshHostKeyPub], { encoding: "utf8" }).split(" ")[1]!;
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("b-ssh");
    await form.getByLabel("Endpoint").fill(LAB_REMOTE.sshEndpoint);
    await form.getByLabel("SSH private key").fill(readLabFile(LAB_REMOTE.sshKey));
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
    await page.goto("/hosts");
    const form = page.getByRole("form", { name: "Register a host" });
    await form.getByLabel("Name").fill("b-ssh-nodocker");
    await form.getByLabel("Endpoint").fill(LAB_REMOTE.sshNoDockerEndpoint);
    await form.getByLabel("SSH private key").fill(readLabFile(LAB_REMOTE.sshKey));
    await form.getByRole("button", { name: "Test connection" }).click();
    await expect(form.getByRole("alert")).toContainText("ferry-lab-nodocker@127.0.0.1 has no docker command");
  });
});
