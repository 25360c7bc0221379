-- Meetings are stored under a keyed hash of their ID (22 characters), and their SFU room and
-- MLS group IDs are derived, not stored. Rows written by earlier releases keep their clear ID
-- until the API renames them at start (MeetingStore.renameClearRows), which needs the key.

-- DropIndex
DROP INDEX "meetings_sfu_room_id_key";
DROP INDEX "meetings_mls_group_id_key";

-- AlterTable
ALTER TABLE "meetings" DROP COLUMN "sfu_room_id",
DROP COLUMN "mls_group_id",
ADD COLUMN "room_generation" INTEGER NOT NULL DEFAULT 0,
ALTER COLUMN "id" SET DATA TYPE VARCHAR(22);
