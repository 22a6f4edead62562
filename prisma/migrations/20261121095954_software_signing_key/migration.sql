-- CreateTable
CREATE TABLE "software_signing_key" (
    "key_ref" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "sealed_private_key" TEXT NOT NULL,
    "public_key_spki" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "software_signing_key_pkey" PRIMARY KEY ("key_ref")
);
