-- AlterTable
ALTER TABLE "portal_session" DROP COLUMN "id_token";
