import "server-only";
import { createHash } from "node:crypto";
import http from "node:http";
import { Duplex } from "node:stream";
import { Client, type ClientChannel } from "ssh2";
import { DockerError } from "@/lib/docker/errors";

/**
 * Docker over SSH, as `docker -H ssh://` does it: each HTTP connection is one SSH session channel
 * running `docker system dial-stdio` on the remote, which pipes its stdin/stdout to the remote
 * daemon's socket.
 *
 * Ferry does not use docker-modem's own ssh transport (docker-modem 5.0.7, lib/ssh.js):
 * - it crashes the process as soon as a call has a timeout (every Ferry call has one): Node's
 *   http client calls `socket.setTimeout()`, which an ssh2 channel does not have
 *   ("TypeError: sock.setTimeout is not a function", thrown outside any promise);
 * - a failed `exec` goes on to use the missing channel (another uncaught TypeError);
 * - it opens a new SSH connection for every request, and cannot verify the host key.
 * This agent keeps one SSH connection per client (a migration's calls share it), verifies the
 * host key against the pinned fingerprint, and turns every failure into a DockerError that names
 * its cause. ssh2 reports errors asynchronously on the Client and the channel: both always have a
 * listener here, so a failing host can never take the server down.
 */

export type SshTarget = {
  /** Ferry's name for the host (error messages). */
  name: string;
  host: string;
  port: number;
  username: string;
  privateKey: string;
  /** The fingerprint pinned on first use ("SHA256:…"); null accepts any key (first contact). */
  pinnedHostKey: string | null;
  readyTimeoutMs: number;
};

/** OpenSSH's fingerprint of a raw host key blob: "SHA256:" + unpadded base64 of its SHA-256. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** At most this many channels at once per connection: OpenSSH's default MaxSessions is 10. */
const MAX_CHANNELS = 8;
/** An SSH connection with no open channel is closed after this long. */
const IDLE_CLOSE_MS = 5_000;
const DIAL_STDIO = "docker system dial-stdio";

export class SshDockerAgent extends http.Agent {
  /** The fingerprint of the key the server presented in the last handshake. */
  hostKeySeen: string | null = null;
  private conn: Promise<Client> | null = null;
  private channels = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly target: SshTarget) {
    super({ keepAlive: false, maxSockets: MAX_CHANNELS });
    // http.Agent calls createConnection(options, callback) and waits for the callback.
    (this as unknown as { createConnection: unknown }).createConnection = (_opts: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
      this.openChannel().then(
        (stream) => cb(null, stream),
        (err: Error) => cb(err),
      );
      return undefined;
    };
  }

  /** Closes the SSH connection now (open channels end with it). */
  close(): void {
    clearTimeout(this.idleTimer);
    const conn = this.conn;
    this.conn = null;
    conn?.then((c) => c.end(), () => undefined);
    this.destroy();
  }

  private async openChannel(): Promise<Duplex> {
    clearTimeout(this.idleTimer);
    this.channels++;
    try {
      const client = await this.connection();
      const channel = await new Promise<ClientChannel>((resolve, reject) =>
        client.exec(DIAL_STDIO, (err, ch) => (err ? reject(this.sshError(err)) : resolve(ch))),
      );
      const stream = new DialStdio(channel, this.target);
      stream.once("close", () => this.channelClosed());
      return stream;
    } catch (err) {
      this.channelClosed();
      throw err;
    }
  }

  private channelClosed() {
    this.channels--;
    if (this.channels > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.channels === 0) this.close();
    }, IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private connection(): Promise<Client> {
    if (this.conn) return this.conn;
    const t = this.target;
    let presented: string | null = null;
    const conn = new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let ready = false;
      // Always listening: ssh2 emits errors long after connect() returned.
      client.on("error", (err: Error & { level?: string }) => {
        const e = presented && t.pinnedHostKey && presented !== t.pinnedHostKey ? hostKeyChanged(t, presented) : this.sshError(err);
        if (!ready) reject(e);
      });
      client.on("close", () => {
        if (this.conn === conn) this.conn = null;
        if (!ready) reject(new DockerError("UNREACHABLE", `the SSH connection to ${t.host}:${t.port} closed during the handshake`, t.name));
      });
      client.on("ready", () => {
        ready = true;
        this.hostKeySeen = presented;
        resolve(client);
      });
      try {
        client.connect({
          host: t.host,
          port: t.port,
          username: t.username,
          privateKey: t.privateKey,
          readyTimeout: t.readyTimeoutMs,
          keepaliveInterval: 15_000,
          hostVerifier: (key: Buffer) => {
            presented = sshFingerprint(key);
            return !t.pinnedHostKey || presented === t.pinnedHostKey;
          },
        });
      } catch (err) {
        // A private key ssh2 cannot parse throws here, synchronously.
        reject(new DockerError("SSH_AUTH_FAILED", `the private key cannot be used: ${(err as Error).message}`, t.name));
      }
    });
    conn.catch(() => {
      if (this.conn === conn) this.conn = null;
    });
    this.conn = conn;
    return conn;
  }

  private sshError(err: Error & { level?: string; code?: string }): Error {
    const t = this.target;
    if (err instanceof DockerError) return err;
    if (err.level === "client-authentication")
      return new DockerError(
        "SSH_AUTH_FAILED",
        `${t.username}@${t.host}:${t.port} refused the login with this key (${err.message}): is its public key in that user's authorized_keys?`,
        t.name,
      );
    if (err.level === "client-timeout") return new DockerError("TIMEOUT", `no SSH handshake with ${t.host}:${t.port} within ${t.readyTimeoutMs} ms`, t.name);
    // Socket errors (ECONNREFUSED, …) keep their code for toDockerError.
    return err;
  }
}

function hostKeyChanged(t: SshTarget, presented: string): DockerError {
  return new DockerError(
    "SSH_HOST_KEY_CHANGED",
    `the SSH host key of ${t.host}:${t.port} changed: pinned ${t.pinnedHostKey}, the server now presents ${presented}. ` +
      `Ferry refuses to connect (someone may be in the middle). If the host was reinstalled, edit the host and forget the pinned key.`,
    t.name,
  );
}

/**
 * One `docker system dial-stdio` session channel as the socket of one HTTP connection. Adds what
 * Node's http client calls on a socket (setTimeout, setNoDelay, setKeepAlive, ref, unref), and
 * turns a remote command that fails before answering (no docker there, no access to its socket)
 * into an error that says so, instead of "socket hang up".
 */
class DialStdio extends Duplex {
  private answered = false;
  private stderr = "";
  private exitCode: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;

  constructor(
    private readonly channel: ClientChannel,
    private readonly target: SshTarget,
  ) {
    super();
    channel.on("data", (chunk: Buffer) => {
      this.answered = true;
      this.touch();
      if (!this.push(chunk)) channel.pause();
    });
    channel.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-2000);
    });
    channel.on("exit", (code: number | null) => {
      this.exitCode = code;
    });
    channel.on("error", (err: Error) => this.destroy(err));
    // "close" comes after the exit status, which may arrive after stdout's end.
    channel.on("close", () => {
      clearTimeout(this.timer);
      if (!this.answered && this.exitCode !== 0) this.destroy(this.remoteFailure());
      else this.push(null);
    });
  }

  private remoteFailure(): DockerError {
    const t = this.target;
    const said = this.stderr.trim().split("\n").slice(-2).join(" ") || "nothing on stderr";
    if (this.exitCode === 127 || /docker: (command )?not found|No such file or directory/.test(this.stderr))
      return new DockerError(
        "SSH_NO_DOCKER",
        `${t.username}@${t.host} has no docker command: "${DIAL_STDIO}" failed (${said}, exit ${this.exitCode ?? "?"}). Install the docker CLI there or put it on that user's PATH`,
        t.name,
      );
    return new DockerError("UNREACHABLE", `"${DIAL_STDIO}" on ${t.host} failed before answering (${said}, exit ${this.exitCode ?? "?"})`, t.name);
  }

  private touch() {
    if (!this.timeoutMs) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emit("timeout"), this.timeoutMs);
    this.timer.unref();
  }

  override _read() {
    this.channel.resume();
  }

  override _write(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void) {
    this.touch();
    this.channel.write(chunk, enc, cb);
  }

  override _final(cb: (err?: Error | null) => void) {
    this.channel.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void) {
    clearTimeout(this.timer);
    this.channel.close();
    cb(err);
  }

  // net.Socket's API, as far as Node's http client uses it.
  setTimeout(ms: number, cb?: () => void): this {
    this.timeoutMs = ms;
    if (cb) this.once("timeout", cb);
    if (ms) this.touch();
    else clearTimeout(this.timer);
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
