-- AlterTable
-- owner_id is added nullable, filled from practitioner_id (every existing credential is its
-- owner's current one), then made NOT NULL, so the migration applies to a populated table.
ALTER TABLE "signing_credential" ADD COLUMN     "key_destroyed_at" TIMESTAMP(3),
ADD COLUMN     "owner_id" UUID,
ADD COLUMN     "renews_id" TEXT,
ADD COLUMN     "retired_at" TIMESTAMP(3),
ADD COLUMN     "revoked_at" TIMESTAMP(3),
ALTER COLUMN "practitioner_id" DROP NOT NULL;

UPDATE "signing_credential" SET "owner_id" = "practitioner_id";

ALTER TABLE "signing_credential" ALTER COLUMN "owner_id" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "signing_credential_renews_id_key" ON "signing_credential"("renews_id");

-- CreateIndex
CREATE INDEX "signing_credential_owner_id_idx" ON "signing_credential"("owner_id");
