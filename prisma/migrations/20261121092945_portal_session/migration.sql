-- CreateTable
CREATE TABLE "portal_session" (
    "id_hash" TEXT NOT NULL,
    "practitioner_id" UUID NOT NULL,
    "sid" TEXT,
    "auth_time" TIMESTAMP(3) NOT NULL,
    "amr" TEXT[],
    "acr" TEXT NOT NULL,
    "id_token" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "ended_at" TIMESTAMP(3),

    CONSTRAINT "portal_session_pkey" PRIMARY KEY ("id_hash")
);

-- CreateIndex
CREATE INDEX "portal_session_practitioner_id_idx" ON "portal_session"("practitioner_id");

-- CreateIndex
CREATE INDEX "portal_session_sid_idx" ON "portal_session"("sid");
