-- AlterTable
ALTER TABLE "practitioner" ALTER COLUMN "birth_date" DROP NOT NULL;

-- CreateTable
CREATE TABLE "practitioner_certificate" (
    "fingerprint" TEXT NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial_number" TEXT NOT NULL,
    "subject_serial_number" TEXT,
    "hc_roles" JSONB NOT NULL DEFAULT '[]',
    "crl_urls" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "not_before" TIMESTAMP(3) NOT NULL,
    "not_after" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),

    CONSTRAINT "practitioner_certificate_pkey" PRIMARY KEY ("fingerprint")
);

-- CreateTable
CREATE TABLE "trust_certificate" (
    "fingerprint" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "der" BYTEA NOT NULL,
    "not_after" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trust_certificate_pkey" PRIMARY KEY ("fingerprint")
);

-- CreateTable
CREATE TABLE "revocation_list" (
    "id" UUID NOT NULL,
    "scheme" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "der" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    "this_update" TIMESTAMP(3) NOT NULL,
    "next_update" TIMESTAMP(3),
    "entries" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "loaded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "revocation_list_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "login_evidence" (
    "id" UUID NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "login_ts" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "certificate" JSONB,
    "hc_roles" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_evidence_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "practitioner_certificate_practitioner_id_idx" ON "practitioner_certificate"("practitioner_id");

-- CreateIndex
CREATE INDEX "practitioner_certificate_issuer_subject_serial_number_idx" ON "practitioner_certificate"("issuer", "subject_serial_number");

-- CreateIndex
CREATE UNIQUE INDEX "practitioner_certificate_issuer_serial_number_key" ON "practitioner_certificate"("issuer", "serial_number");

-- CreateIndex
CREATE UNIQUE INDEX "revocation_list_sha256_key" ON "revocation_list"("sha256");

-- CreateIndex
CREATE INDEX "revocation_list_issuer_this_update_idx" ON "revocation_list"("issuer", "this_update");

-- CreateIndex
CREATE INDEX "login_evidence_practitioner_id_login_ts_idx" ON "login_evidence"("practitioner_id", "login_ts");

-- CreateIndex
CREATE INDEX "login_evidence_created_at_idx" ON "login_evidence"("created_at");

-- AddForeignKey
ALTER TABLE "practitioner_certificate" ADD CONSTRAINT "practitioner_certificate_practitioner_id_fkey" FOREIGN KEY ("practitioner_id") REFERENCES "practitioner"("id") ON DELETE CASCADE ON UPDATE CASCADE;
