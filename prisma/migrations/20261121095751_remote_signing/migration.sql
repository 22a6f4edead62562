-- CreateTable
CREATE TABLE "signing_credential" (
    "id" TEXT NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "key_store" TEXT NOT NULL,
    "key_ref" TEXT NOT NULL,
    "key_algorithm" TEXT NOT NULL,
    "public_key_spki" BYTEA NOT NULL,
    "certificate" BYTEA,
    "chain" BYTEA[] DEFAULT ARRAY[]::BYTEA[],
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signing_credential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_authorisation" (
    "grant_id" TEXT NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "credential_id" TEXT NOT NULL,
    "document_types" TEXT[],
    "max_signatures" INTEGER,
    "signatures" INTEGER NOT NULL DEFAULT 0,
    "approved_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "signing_authorisation_pkey" PRIMARY KEY ("grant_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "signing_credential_practitioner_id_key" ON "signing_credential"("practitioner_id");

-- CreateIndex
CREATE INDEX "signing_authorisation_practitioner_id_expires_at_idx" ON "signing_authorisation"("practitioner_id", "expires_at");
