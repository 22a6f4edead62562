import { z } from 'zod';
import type { Db } from '../db/current.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { csvLine } from './csv.ts';
import { AUDIT_EVENT_GROUPS, AUDIT_METHODS } from './audit-events.ts';

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v), z.string().max(max).optional());
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/**
 * A bound of the date range. The console's date and datetime-local fields carry no zone: they are
 * Japan time (the time shown in every row), whatever the server's own zone. A bare day as "to"
 * means the end of that day.
 */
const time = (edge: 'from' | 'to') =>
  z.preprocess((v) => {
    if (v === '' || v === null) return undefined;
    if (typeof v !== 'string') return v;
    if (DAY_PATTERN.test(v)) return edge === 'from' ? `${v}T00:00:00+09:00` : `${v}T23:59:59.999+09:00`;
    // "to" 11:40 includes the whole minute, as the row shows it.
    if (LOCAL_TIME_PATTERN.test(v)) return `${v}${v.length === 16 ? (edge === 'to' ? ':59' : ':00') : ''}${edge === 'to' ? '.999' : ''}+09:00`;
    return v;
  }, z.coerce.date().optional());

/** The audit log's filter, from the console's query string. */
export const auditFilterSchema = z.object({
  /** A practitioner's id or registration number: entries by or about them. */
  person: text(100),
  service: text(64),
  /** An event name, its prefix ending with "." (e.g. "admin."), or a group of the filter as "@signIn". */
  event: text(100),
  result: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['success', 'failure', 'info']).optional()),
  /** A login method (passkey, hpki-card, …). */
  method: z.preprocess((v) => (v === '' ? undefined : v), z.enum(AUDIT_METHODS).optional()),
  from: time('from'),
  to: time('to'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type AuditFilter = z.output<typeof auditFilterSchema>;

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

async function whereOf(prisma: Db, f: AuditFilter): Promise<Prisma.AuditEventWhereInput> {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (f.person) {
    const byNumber = /^[0-9a-f-]{36}$/i.test(f.person) ? null : await prisma.practitioner.findUnique({ where: { registrationNumber: f.person }, select: { id: true } });
    const id = byNumber?.id ?? (/^[0-9a-f-]{36}$/i.test(f.person) ? f.person : '00000000-0000-0000-0000-000000000000');
    // Admin actions name their target in details; the actor is the entry's practitioner.
    and.push({ OR: [{ practitionerId: id }, { details: { path: ['targetPractitionerId'], equals: id } }] });
  }
  if (f.service) and.push({ clientId: f.service });
  if (f.event) {
    const group = AUDIT_EVENT_GROUPS.find((g) => `@${g.id}` === f.event);
    and.push(group ? { event: { in: [...group.events] } } : f.event.endsWith('.') ? { event: { startsWith: f.event } } : { event: f.event });
  }
  if (f.result) and.push({ result: f.result });
  if (f.method) and.push({ method: f.method });
  if (f.from) and.push({ at: { gte: f.from } });
  if (f.to) and.push({ at: { lte: f.to } });
  return and.length ? { AND: and } : {};
}

/**
 * One page of matching entries, newest first, with the people they name (actor and an admin
 * action's target) so the console shows names rather than ids.
 */
export async function queryAudit(prisma: Db, filter: AuditFilter) {
  const where = await whereOf(prisma, filter);
  const [total, rows] = await Promise.all([
    prisma.auditEvent.count({ where }),
    prisma.auditEvent.findMany({ where, orderBy: { seq: 'desc' }, skip: (filter.page - 1) * AUDIT_PAGE_SIZE, take: AUDIT_PAGE_SIZE }),
  ]);
  const entries = rows.map(entryView);
  const ids = [...new Set(entries.flatMap((e) => [e.practitionerId, e.targetPractitionerId]).filter((id): id is string => id !== null))];
  const named = ids.length
    ? await prisma.practitioner.findMany({ where: { id: { in: ids } }, select: { id: true, registrationNumber: true, familyName: true, givenName: true, familyNameKanji: true, givenNameKanji: true } })
    : [];
  const people: Record<string, AuditPerson> = Object.fromEntries(
    named.map((p) => [
      p.id,
      { registrationNumber: p.registrationNumber, name: `${p.givenName} ${p.familyName}`.trim(), nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null },
    ]),
  );
  return { total, page: filter.page, pageSize: AUDIT_PAGE_SIZE, pages: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)), entries, people };
}

export interface AuditPerson {
  registrationNumber: string;
  name: string;
  nameKanji: string | null;
}

function entryView(r: Awaited<ReturnType<Db['auditEvent']['findMany']>>[number]) {
  return {
    seq: r.seq.toString(),
    at: r.at.toISOString(),
    event: r.event,
    result: r.result,
    practitionerId: r.practitionerId,
    clientId: r.clientId,
    method: r.method,
    errorCode: r.errorCode,
    ip: r.ip,
    details: r.details,
    targetPractitionerId: targetOf(r.details),
    hash: r.hash,
  };
}

function targetOf(details: unknown): string | null {
  const target = details && typeof details === 'object' ? (details as Record<string, unknown>).targetPractitionerId : undefined;
  return typeof target === 'string' && /^[0-9a-f-]{36}$/i.test(target) ? target : null;
}

export const AUDIT_CSV_HEADER = ['seq', 'at', 'event', 'result', 'practitioner_id', 'client_id', 'method', 'error_code', 'ip', 'details', 'prev_hash', 'hash'];

/** The matching entries as CSV (oldest first, with both hashes so the export itself can be checked). */
export async function* exportAuditCsv(prisma: Db, filter: AuditFilter): AsyncGenerator<string> {
  const where = await whereOf(prisma, filter);
  yield `${csvLine(AUDIT_CSV_HEADER)}\r\n`;
  let after = -1n;
  let sent = 0;
  while (sent < AUDIT_EXPORT_MAX_ROWS) {
    const rows = await prisma.auditEvent.findMany({ where: { AND: [where, { seq: { gt: after } }] }, orderBy: { seq: 'asc' }, take: 1000 });
    if (!rows.length) return;
    let chunk = '';
    for (const r of rows) {
      chunk += `${csvLine([r.seq.toString(), r.at.toISOString(), r.event, r.result, r.practitionerId, r.clientId, r.method, r.errorCode, r.ip, JSON.stringify(r.details), r.prevHash, r.hash])}\r\n`;
      after = r.seq;
    }
    sent += rows.length;
    yield chunk;
  }
}
