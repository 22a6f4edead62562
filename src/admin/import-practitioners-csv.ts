import { z } from 'zod';
import type { Db } from '../db/current.ts';
import { hcRoleDisplayNames } from '../pki/hcrole/display-names.ts';
import { JPKI_HCROLE_SCHEME, newPractitionerSchema } from '../practitioners/practitioner.ts';
import { AdminError } from './admin-error.ts';
import { CsvSyntaxError, parseCsv } from './csv.ts';

export const CSV_MAX_BYTES = 2 * 1024 * 1024;
export const CSV_MAX_ROWS = 10_000;

/** The columns, in order; the header row may use these names or the Japanese ones. */
export const PRACTITIONER_CSV_COLUMNS = [
  { key: 'registrationNumber', names: ['registration_number', '登録番号'] },
  { key: 'familyName', names: ['family_name', '姓（ローマ字）', '姓(ローマ字)'] },
  { key: 'givenName', names: ['given_name', '名（ローマ字）', '名(ローマ字)'] },
  { key: 'familyNameKanji', names: ['family_name_kanji', '姓（漢字）', '姓(漢字)'] },
  { key: 'givenNameKanji', names: ['given_name_kanji', '名（漢字）', '名(漢字)'] },
  { key: 'birthDate', names: ['birth_date', '生年月日'] },
  { key: 'facility', names: ['facility', '所属'] },
  { key: 'hcRole', names: ['hc_role', '資格'] },
] as const;

export interface CsvRowProblem {
  line: number;
  reason: string;
}

/** English hcRole strings as in certificates, or their Japanese names; several separated by ";". */
function readHcRoles(value: string): { roles: string[]; unknown: string[] } {
  const byJa = new Map(Object.entries(hcRoleDisplayNames).map(([role, d]) => [d.ja, role]));
  const roles: string[] = [];
  const unknown: string[] = [];
  for (const part of value.split(/[;；]/).map((s) => s.trim()).filter(Boolean)) {
    const role = hcRoleDisplayNames[part] ? part : byJa.get(part);
    if (role) roles.push(role);
    else unknown.push(part);
  }
  return { roles, unknown };
}

const rowSchema = newPractitionerSchema.extend({
  // The registration password is the birth date: a practitioner imported without one could never register.
  birthDate: newPractitionerSchema.shape.birthDate.unwrap(),
});

/**
 * Imports practitioners from a CSV file, all or nothing (SPEC §9): every bad row is reported by its
 * line number with the reason, and nothing is written unless every row is good. Registration
 * numbers already known, or repeated in the file, are bad rows.
 */
export async function importPractitionersCsv(prisma: Db, text: string) {
  if (Buffer.byteLength(text) > CSV_MAX_BYTES) throw new AdminError('admin_csv_invalid', 413, { count: '1' }, { rows: [{ line: 0, reason: 'file larger than 2 MiB' }] });
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new AdminError('admin_csv_invalid', 400, { count: '1' }, { rows: [{ line: error.line, reason: error.reason }] });
    throw error;
  }
  const [header, ...rows] = records;
  const problems: CsvRowProblem[] = [];
  if (!header) throw new AdminError('admin_csv_invalid', 400, { count: '1' }, { rows: [{ line: 1, reason: 'the file is empty' }] });
  const expected = PRACTITIONER_CSV_COLUMNS.map((c) => c.names[0]).join(',');
  const headerOk =
    header.fields.length === PRACTITIONER_CSV_COLUMNS.length &&
    header.fields.every((f, i) => (PRACTITIONER_CSV_COLUMNS[i]!.names as readonly string[]).includes(f.trim().toLowerCase()) || (PRACTITIONER_CSV_COLUMNS[i]!.names as readonly string[]).includes(f.trim()));
  if (!headerOk) throw new AdminError('admin_csv_invalid', 400, { count: '1' }, { rows: [{ line: header.line, reason: `the header must be: ${expected}` }] });
  if (rows.length === 0) throw new AdminError('admin_csv_invalid', 400, { count: '1' }, { rows: [{ line: header.line, reason: 'no practitioner rows after the header' }] });
  if (rows.length > CSV_MAX_ROWS) throw new AdminError('admin_csv_invalid', 413, { count: '1' }, { rows: [{ line: 0, reason: `more than ${CSV_MAX_ROWS} rows` }] });

  const good: { line: number; data: z.output<typeof rowSchema> }[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    if (row.fields.length !== PRACTITIONER_CSV_COLUMNS.length) {
      problems.push({ line: row.line, reason: `${row.fields.length} columns, expected ${PRACTITIONER_CSV_COLUMNS.length}` });
      continue;
    }
    const raw = Object.fromEntries(PRACTITIONER_CSV_COLUMNS.map((c, i) => [c.key, row.fields[i]!.trim()]));
    const { roles, unknown } = readHcRoles(raw.hcRole!);
    const reasons: string[] = [];
    if (unknown.length) reasons.push(`hc_role: unknown qualification ${unknown.map((u) => `"${u}"`).join(', ')}`);
    if (!roles.length && !unknown.length) reasons.push('hc_role: required');
    const parsed = rowSchema.safeParse({
      registrationNumber: raw.registrationNumber,
      familyName: raw.familyName,
      givenName: raw.givenName,
      familyNameKanji: raw.familyNameKanji || undefined,
      givenNameKanji: raw.givenNameKanji || undefined,
      birthDate: raw.birthDate,
      facility: raw.facility || undefined,
      hcRoles: roles.map((role) => ({ role, codingScheme: JPKI_HCROLE_SCHEME })),
    });
    if (!parsed.success) {
      const column = (key: PropertyKey | undefined) => PRACTITIONER_CSV_COLUMNS.find((c) => c.key === key)?.names[0] ?? String(key);
      reasons.push(...parsed.error.issues.map((i) => `${column(i.path[0])}: ${i.message}`));
    }
    const number = raw.registrationNumber!;
    if (number && seen.has(number)) reasons.push(`registration_number: repeats line ${seen.get(number)}`);
    else if (number) seen.set(number, row.line);
    if (reasons.length) problems.push({ line: row.line, reason: reasons.join('; ') });
    else good.push({ line: row.line, data: parsed.data! });
  }
  await refuseRegistered(prisma, good, problems);
  // One statement in one transaction: all rows or none.
  try {
    const { count } = await prisma.practitioner.createMany({ data: good.map((g) => ({ ...g.data, hcRoles: g.data.hcRoles })) });
    return { imported: count };
  } catch (error) {
    // Another import (or enrolment) registered one of these numbers in the meantime: nothing was
    // written; say which lines, as for numbers registered before.
    if ((error as { code?: string }).code !== 'P2002') throw error;
    await refuseRegistered(prisma, good, problems);
    throw error;
  }
}

/** Adds a problem for every row whose number is registered already, and throws if there are any problems. */
async function refuseRegistered(prisma: Db, good: { line: number; data: z.output<typeof rowSchema> }[], problems: CsvRowProblem[]) {
  const known = await prisma.practitioner.findMany({ where: { registrationNumber: { in: good.map((g) => g.data.registrationNumber) } }, select: { registrationNumber: true } });
  const knownSet = new Set(known.map((k) => k.registrationNumber));
  for (const g of good) if (knownSet.has(g.data.registrationNumber)) problems.push({ line: g.line, reason: 'registration_number: already registered' });
  if (problems.length) {
    problems.sort((a, b) => a.line - b.line);
    throw new AdminError('admin_csv_invalid', 400, { count: String(problems.length) }, { rows: problems });
  }
}
