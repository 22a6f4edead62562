import { z } from 'zod';
import type { Db } from '../db/current.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { csvLine } from './csv.ts';

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v), z.string().max(max).optional());
const time = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.coerce.date().optional());

/** The audit log's filter, from the console's query string. */
export const auditFilterSchema = z.object({
  /** A practitioner's id or registration number: entries by or about them. */
  person: text(100),
  service: text(64),
  /** An event name, or its prefix ending with "." (e.g. "admin."). */
  event: text(100),
  result: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['success', 'failure', 'info']).optional()),
  from: time,
  to: time,
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
  if (f.event) and.push(f.event.endsWith('.') ? { event: { startsWith: f.event } } : { event: f.event });
  if (f.result) and.push({ result: f.result });
  if (f.from) and.push({ at: { gte: f.from } });
  if (f.to) and.push({ at: { lte: f.to } });
  return and.length ? { AND: and } : {};
}

/** One page of matching entries, newest first. */
export async function queryAudit(prisma: Db, filter: AuditFilter) {
  const where = await whereOf(prisma, filter);
  const [total, rows] = await Promise.all([
    prisma.auditEvent.count({ where }),
    prisma.auditEvent.findMany({ where, orderBy: { seq: 'desc' }, skip: (filter.page - 1) * AUDIT_PAGE_SIZE, take: AUDIT_PAGE_SIZE }),
  ]);
  return { total, page: filter.page, pageSize: AUDIT_PAGE_SIZE, entries: rows.map(entryView) };
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
    hash: r.hash,
  };
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
