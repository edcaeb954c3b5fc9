-- The SSH host key fingerprint pinned by a host's first successful connection (trust on first
-- use); later connections presenting another key are refused as "host key changed".
ALTER TABLE "Host" ADD COLUMN "sshHostKey" TEXT;
ALTER TABLE "Host" ADD COLUMN "sshHostKeyPinnedAt" DATETIME;
