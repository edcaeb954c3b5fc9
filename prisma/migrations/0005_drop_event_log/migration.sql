-- The event log was written and never read: items carry their status, error, warnings and
-- phase timings; the server's stdout carries the log lines.
DROP TABLE "MigrationEvent";
