-- What the pair probe's process held ("tcp-listen tcp-established unix pipe file threads"): TCP
-- sockets are tried only when both hosts' own CRIU can dump them, so a pair is probed again when
-- that changes. Rows from before this column held no TCP socket.
ALTER TABLE "PairProbe" ADD COLUMN "features" TEXT NOT NULL DEFAULT 'unix pipe file threads';
