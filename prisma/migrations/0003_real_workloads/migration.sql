-- CRIU capabilities per host (the pre-flight probe), and external connections per item.
ALTER TABLE "Host" ADD COLUMN "criuProbe" TEXT;
ALTER TABLE "Host" ADD COLUMN "criuProbedAt" DATETIME;
ALTER TABLE "MigrationItem" ADD COLUMN "externalConnections" INTEGER;
