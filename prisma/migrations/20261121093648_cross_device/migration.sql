-- CreateTable
CREATE TABLE "cross_device_request" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "interaction_uid" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_name" TEXT NOT NULL,
    "terminal_ip" TEXT,
    "terminal_agent" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "approved_at" TIMESTAMP(3),
    "used_at" TIMESTAMP(3),
    "cancelled_at" TIMESTAMP(3),
    "practitioner_id" UUID,
    "credential_id" TEXT,

    CONSTRAINT "cross_device_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "cross_device_request_token_hash_key" ON "cross_device_request"("token_hash");

-- CreateIndex
CREATE INDEX "cross_device_request_interaction_uid_idx" ON "cross_device_request"("interaction_uid");

-- CreateIndex
CREATE INDEX "cross_device_request_credential_id_idx" ON "cross_device_request"("credential_id");

-- CreateIndex
CREATE INDEX "cross_device_request_expires_at_idx" ON "cross_device_request"("expires_at");

-- Only the states the code knows (added by hand: Prisma does not model CHECK constraints).
ALTER TABLE "cross_device_request" ADD CONSTRAINT "cross_device_request_status_check"
    CHECK ("status" IN ('pending', 'approved', 'used', 'expired', 'cancelled'));
