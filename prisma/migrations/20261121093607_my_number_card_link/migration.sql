-- CreateTable
CREATE TABLE "my_number_card_link" (
    "fingerprint" TEXT NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "jpki_issuer" TEXT NOT NULL,
    "jpki_subject" TEXT NOT NULL,
    "linked_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "my_number_card_link_pkey" PRIMARY KEY ("fingerprint")
);

-- CreateIndex
CREATE UNIQUE INDEX "my_number_card_link_practitioner_id_key" ON "my_number_card_link"("practitioner_id");
