import { z } from 'zod';
import type { Db } from '../db/current.ts';

/** One qualification as proven by an HPKI certificate's hcRole attribute. */
export const storedHcRoleSchema = z.object({ role: z.string().min(1).max(200), codingScheme: z.string().regex(/^\d+(\.\d+)+$/) });
export type StoredHcRole = z.infer<typeof storedHcRoleSchema>;

export const JPKI_HCROLE_SCHEME = '1.2.392.100495.1.6.1.1';

export const newPractitionerSchema = z.object({
  registrationNumber: z.string().trim().min(1).max(64),
  familyName: z.string().trim().min(1).max(100),
  givenName: z.string().trim().min(1).max(100),
  familyNameKanji: z.string().trim().min(1).max(100).optional(),
  givenNameKanji: z.string().trim().min(1).max(100).optional(),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'birth date as YYYY-MM-DD').refine(isRealDate, 'not a calendar date').optional(),
  facility: z.string().trim().max(200).optional(),
  hcRoles: z.array(storedHcRoleSchema).default([]),
  isAdmin: z.boolean().default(false),
});
export type NewPractitioner = z.input<typeof newPractitionerSchema>;

function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export async function createPractitioner(prisma: Db, input: NewPractitioner) {
  const data = newPractitionerSchema.parse(input);
  return prisma.practitioner.create({ data: { ...data, hcRoles: data.hcRoles } });
}

export function parseStoredHcRoles(value: unknown): StoredHcRole[] {
  const parsed = z.array(storedHcRoleSchema).safeParse(value);
  return parsed.success ? parsed.data : [];
}
