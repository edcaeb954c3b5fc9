-- What a move's cleanup could not remove (a checkpoint, the stopped source), kept on the item
-- until the host sweep removes it once the host lets it.
ALTER TABLE "MigrationItem" ADD COLUMN "leftovers" TEXT;
