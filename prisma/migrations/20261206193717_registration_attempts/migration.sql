-- AlterTable
ALTER TABLE "registration_code" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0;
