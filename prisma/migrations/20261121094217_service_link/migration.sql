-- CreateTable
CREATE TABLE "service_link" (
    "id" UUID NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "service_user_id" TEXT,
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMP(3),
    "decided_by" TEXT,

    CONSTRAINT "service_link_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "service_link_client_id_status_idx" ON "service_link"("client_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "service_link_practitioner_id_client_id_key" ON "service_link"("practitioner_id", "client_id");
