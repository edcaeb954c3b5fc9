-- AlterTable
ALTER TABLE "Host" ADD COLUMN "maxConcurrency" INTEGER;
ALTER TABLE "Host" ADD COLUMN "memoryBudgetBytes" BIGINT;

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Migration" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL,
    "targetHostId" TEXT NOT NULL,
    "targetHostName" TEXT NOT NULL,
    "options" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false
);

-- CreateTable
CREATE TABLE "MigrationItem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "migrationId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "sourceHostId" TEXT NOT NULL,
    "sourceHostName" TEXT NOT NULL,
    "sourceContainerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "targetName" TEXT,
    "targetContainerId" TEXT,
    "checkpointId" TEXT,
    "memoryNeedBytes" BIGINT,
    "bytesMoved" BIGINT NOT NULL DEFAULT 0,
    "downtimeMs" INTEGER,
    "error" TEXT,
    "errorCode" TEXT,
    "warnings" TEXT,
    "startedAt" DATETIME,
    "checkpointAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "MigrationItem_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "MigrationPhase" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "itemId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "ok" BOOLEAN,
    "detail" TEXT,
    "bytes" BIGINT,
    CONSTRAINT "MigrationPhase_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "MigrationItem" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "MigrationEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "migrationId" TEXT NOT NULL,
    "itemId" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    CONSTRAINT "MigrationEvent_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "Migration_createdAt_idx" ON "Migration"("createdAt");

-- CreateIndex
CREATE INDEX "MigrationItem_migrationId_idx" ON "MigrationItem"("migrationId");

-- CreateIndex
CREATE INDEX "MigrationItem_sourceHostId_sourceContainerId_idx" ON "MigrationItem"("sourceHostId", "sourceContainerId");

-- CreateIndex
CREATE INDEX "MigrationItem_status_idx" ON "MigrationItem"("status");

-- CreateIndex
CREATE INDEX "MigrationPhase_itemId_idx" ON "MigrationPhase"("itemId");

-- CreateIndex
CREATE INDEX "MigrationEvent_migrationId_id_idx" ON "MigrationEvent"("migrationId", "id");

