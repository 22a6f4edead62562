-- AlterTable
ALTER TABLE "portal_session" ADD COLUMN     "end_reason" TEXT,
ADD COLUMN     "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
