-- AlterTable
ALTER TABLE "meetings" ADD COLUMN "idle_until" DATE;

-- CreateIndex
CREATE INDEX "meetings_idle_until_idx" ON "meetings"("idle_until");
