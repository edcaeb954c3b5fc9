-- A batch may send each container to its own target (evacuate spreads a host's containers over
-- the others): the target moves onto the item; the batch keeps its target only when it has one.
-- Maintenance mode: a host that takes no new containers.
ALTER TABLE "Host" ADD COLUMN "maintenance" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Host" ADD COLUMN "maintenanceSince" DATETIME;

ALTER TABLE "MigrationItem" ADD COLUMN "targetHostId" TEXT;
ALTER TABLE "MigrationItem" ADD COLUMN "targetHostName" TEXT;
UPDATE "MigrationItem" SET
  "targetHostId" = (SELECT "targetHostId" FROM "Migration" WHERE "Migration"."id" = "MigrationItem"."migrationId"),
  "targetHostName" = (SELECT "targetHostName" FROM "Migration" WHERE "Migration"."id" = "MigrationItem"."migrationId");
CREATE INDEX "MigrationItem_targetHostId_idx" ON "MigrationItem"("targetHostId");

-- Migration.targetHostId becomes optional (SQLite: the table is rebuilt).
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Migration" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL,
    "targetHostId" TEXT,
    "targetHostName" TEXT NOT NULL,
    "evacuatedHostId" TEXT,
    "evacuatedHostName" TEXT,
    "options" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO "new_Migration" ("id", "status", "targetHostId", "targetHostName", "options", "createdBy", "createdAt", "startedAt", "finishedAt", "cancelRequested")
  SELECT "id", "status", "targetHostId", "targetHostName", "options", "createdBy", "createdAt", "startedAt", "finishedAt", "cancelRequested" FROM "Migration";
DROP TABLE "Migration";
ALTER TABLE "new_Migration" RENAME TO "Migration";
CREATE INDEX "Migration_createdAt_idx" ON "Migration"("createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
