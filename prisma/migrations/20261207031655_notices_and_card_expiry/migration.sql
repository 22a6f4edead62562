-- not_after is nullable: links made before this migration keep null (expiry unknown until linked again).
-- AlterTable
ALTER TABLE "my_number_card_link" ADD COLUMN     "not_after" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "notice" (
    "id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "audience" TEXT NOT NULL DEFAULT 'all',
    "hc_role" TEXT,
    "created_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "notice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "notice_starts_at_ends_at_idx" ON "notice"("starts_at", "ends_at");
