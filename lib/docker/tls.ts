import { X509Certificate } from "node:crypto";
import { CLIENT_CERT_REFUSED, DockerError } from "@/lib/docker/errors";

/** The common name of a certificate's subject or issuer ("CN=Ferry lab CA" -> "Ferry lab CA"). */
const commonName = (dn: string) => /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? dn.replace(/\n/g, ", ");

/**
 * Why a daemon refused Ferry's client certificate. The daemon only sends an alert ("bad
 * certificate" for every cause on Docker 20.10), so the cause is read from the certificate Ferry
 * sent: expired (or not yet valid), or not signed by the CA given for the host (a daemon with
 * --tlsverify accepts client certificates from its own CA, which is also the one that signed its
 * server certificate in Docker's setup). Returns null for errors that are not such a refusal.
 */
export function explainClientCertRefusal(err: { code?: string }, tls: { ca: string; cert: string }, host: string, now = new Date()): DockerError | null {
  if (!err.code || !CLIENT_CERT_REFUSED.test(err.code)) return null;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
  } catch {
    return new DockerError("TLS_CLIENT_CERT_REJECTED", `the daemon refused the client certificate (${err.code}), which Ferry cannot read either`, host);
  }
  const who = `"${commonName(cert.subject)}"`;
  if (new Date(cert.validTo) < now)
    return new DockerError("TLS_CLIENT_CERT_EXPIRED", `the daemon refused the client certificate ${who}: it expired on ${new Date(cert.validTo).toISOString()} (${err.code})`, host);
  if (new Date(cert.validFrom) > now)
    return new DockerError("TLS_CLIENT_CERT_EXPIRED", `the daemon refused the client certificate ${who}: it is valid only from ${new Date(cert.validFrom).toISOString()} (${err.code})`, host);
  let signedByCa = false;
  try {
    const ca = new X509Certificate(tls.ca);
    signedByCa = cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    signedByCa = false;
  }
  const issuer = `"${commonName(cert.issuer)}"`;
  return new DockerError(
    "TLS_CLIENT_CERT_REJECTED",
    signedByCa
      ? `the daemon refused the client certificate ${who} (${err.code}): it does not trust its issuer ${issuer}`
      : `the daemon refused the client certificate ${who} (${err.code}): it is signed by ${issuer}, not by the CA given for this host; the daemon accepts only client certificates from its own CA`,
    host,
  );
}
