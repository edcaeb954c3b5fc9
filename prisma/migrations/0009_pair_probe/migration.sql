-- The last checkpoint -> transfer -> restore probe of each source -> target pair of hosts, with the
-- Docker versions it ran on (a pair whose daemons changed is probed again).
CREATE TABLE "PairProbe" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sourceHostId" TEXT NOT NULL,
    "targetHostId" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "targetVersion" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "checkedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX "PairProbe_sourceHostId_targetHostId_key" ON "PairProbe"("sourceHostId", "targetHostId");
