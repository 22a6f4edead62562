import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { Prisma } from '../generated/prisma/client.ts';

/** Seed 001: the initial-registration QR is valid for 3 months and locks after 5 wrong passwords. */
export const REGISTRATION_CODE_VALID_MONTHS = 3;
export const REGISTRATION_MAX_WRONG_PASSWORDS = 5;

export function hashRegistrationCode(code: string): string {
  return crypto.createHash('sha256').update(code).digest('hex');
}

export function registrationUrl(publicUrl: string, code: string): string {
  return `${publicUrl}/register/${code}`;
}

export function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

/** A new one-time code for a practitioner; every earlier unused code stops working. */
export async function issueRegistrationCode(prisma: Db, practitionerId: string, now = new Date()) {
  const practitioner = await prisma.practitioner.findUnique({ where: { id: practitionerId }, select: { birthDate: true } });
  // The birth date is the registration password: without it the code could never be used.
  if (!practitioner?.birthDate) throw new PortalError('registration_birth_date_missing', 409);
  const code = crypto.randomBytes(18).toString('base64url');
  const expiresAt = addMonths(now, REGISTRATION_CODE_VALID_MONTHS);
  const row = await prisma.$transaction(async (tx) => {
    await tx.registrationCode.updateMany({
      where: { practitionerId, usedAt: null, supersededAt: null },
      data: { supersededAt: now },
    });
    return tx.registrationCode.create({
      data: { practitionerId, codeHash: hashRegistrationCode(code), createdAt: now, expiresAt },
    });
  });
  return { code, id: row.id, expiresAt };
}

export type RegistrationCodeRow = NonNullable<Awaited<ReturnType<typeof findRegistrationCode>>>;

export async function findRegistrationCode(prisma: Db, code: string) {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(code)) return null;
  return prisma.registrationCode.findUnique({
    where: { codeHash: hashRegistrationCode(code) },
    include: { practitioner: true },
  });
}

/** Why a code cannot be used, in the order a person should hear it; null when usable. */
export function registrationCodeProblem(row: RegistrationCodeRow | null, now = new Date()) {
  if (!row) return 'registration_code_unknown' as const;
  if (row.usedAt) return 'registration_code_used' as const;
  if (row.lockedAt) return 'registration_code_locked' as const;
  if (row.supersededAt) return 'registration_code_superseded' as const;
  if (row.expiresAt.getTime() <= now.getTime()) return 'registration_code_expired' as const;
  return null;
}

export async function requireUsableRegistrationCode(prisma: Db, code: string, now = new Date()): Promise<RegistrationCodeRow> {
  const row = await findRegistrationCode(prisma, code);
  const problem = registrationCodeProblem(row, now);
  if (problem) throw new PortalError(problem, problem === 'registration_code_unknown' ? 404 : 410);
  return row!;
}

export type PasswordCheck<T> =
  | { ok: true; row: RegistrationCodeRow; attempt: number; confirmed: T }
  | { ok: false; locked: boolean; remaining: number; attempt: number; row: RegistrationCodeRow };

/** What the caller does with a right password while the code is still held (see below). */
export type ConfirmPassword<T> = (tx: Prisma.TransactionClient, row: RegistrationCodeRow) => Promise<T>;

/**
 * The password is the birth date as YYYYMMDD; the fifth wrong one locks the code for good.
 * "Is it locked, is this the password, count the failure" is one decision per attempt, serialised
 * on the code's row:
 * - a wrong password is one conditional UPDATE (counts, and locks at the fifth) that matches only a
 *   usable code, so parallel guesses cannot get past the fifth;
 * - a right password takes the row lock (SELECT … FOR UPDATE), checks the code is still usable and
 *   runs `confirm` — which answers the person — before the lock is released. A wrong guess that
 *   would lock the code waits for that row lock, so no confirmation is ever decided or sent after
 *   the lock was set.
 * Every attempt gets the code's next attempt number (the order of the decisions), for the audit log.
 */
export async function checkRegistrationPassword<T = undefined>(
  prisma: Db,
  code: string,
  password: string,
  confirm: ConfirmPassword<T> = async () => undefined as T,
  now = new Date(),
): Promise<PasswordCheck<T>> {
  if (!/^\d{8}$/.test(password)) throw new PortalError('registration_password_format', 400);
  const row = await requireUsableRegistrationCode(prisma, code, now);
  if (!row.practitioner.birthDate) throw new PortalError('registration_birth_date_missing', 409);
  const expected = Buffer.from(row.practitioner.birthDate.replaceAll('-', ''));
  if (crypto.timingSafeEqual(expected, Buffer.from(password))) {
    return prisma.$transaction(async (tx) => {
      const held = await tx.$queryRaw<{ attempts: number }[]>`
        UPDATE registration_code SET attempts = attempts + 1
         WHERE id = ${row.id}::uuid AND ${USABLE(now)}
         RETURNING attempts`;
      if (!held[0]) throw await refusal(tx, row.id, now);
      return { ok: true as const, row, attempt: held[0].attempts, confirmed: await confirm(tx, row) };
    }, { timeout: 15_000 });
  }
  const updated = await prisma.$queryRaw<{ failed_attempts: number; locked_at: Date | null; attempts: number }[]>`
    UPDATE registration_code
       SET failed_attempts = failed_attempts + 1,
           attempts = attempts + 1,
           locked_at = CASE WHEN failed_attempts + 1 >= ${REGISTRATION_MAX_WRONG_PASSWORDS} THEN ${now}::timestamp ELSE NULL END
     WHERE id = ${row.id}::uuid AND ${USABLE(now)}
     RETURNING failed_attempts, locked_at, attempts`;
  const after = updated[0];
  if (!after) throw await refusal(prisma, row.id, now);
  return {
    ok: false,
    locked: after.locked_at !== null,
    remaining: Math.max(0, REGISTRATION_MAX_WRONG_PASSWORDS - after.failed_attempts),
    attempt: after.attempts,
    row,
  };
}

/** The conditions under which a code may still decide a password attempt. */
const USABLE = (now: Date) =>
  Prisma.sql`locked_at IS NULL AND used_at IS NULL AND superseded_at IS NULL AND expires_at > ${now}::timestamp`;

/** Why a code that was usable a moment ago no longer is (another attempt or a reissue won the race). */
async function refusal(prisma: Db | Prisma.TransactionClient, id: string, now: Date): Promise<PortalError> {
  const current = await prisma.registrationCode.findUnique({ where: { id }, include: { practitioner: true } });
  const problem = registrationCodeProblem(current, now) ?? 'registration_code_locked';
  return new PortalError(problem, problem === 'registration_code_unknown' ? 404 : 410);
}
