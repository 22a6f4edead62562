import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import { TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import { prepared } from '../db/prepared-statements.ts';

const USE_KNOWN_CERTIFICATE = prepared(`UPDATE practitioner_certificate c SET last_used_at = $2
          FROM practitioner p
          WHERE c.fingerprint = $1 AND p.id = c.practitioner_id AND p.locked_at IS NULL
          RETURNING p.id::text, p.hc_roles::text`);

/** The holder of a known certificate, as a login needs it. */
export interface CertificateHolder {
  practitionerId: string;
  /** As stored (`hc_roles` JSON); parse with parseStoredHcRoles. */
  hcRoles: unknown;
}

/**
 * The usual HPKI certificate login in one statement: a known certificate whose holder is not locked
 * is marked used (`last_used_at`) and its holder returned. Null when the certificate is unknown or
 * its holder locked — the caller then takes the slow path that tells those apart (renewal,
 * enrolment, refusal). Fixed SQL through the driver adapter, as the account read
 * (account-row.ts): through the Prisma client the same took three statements (certificate,
 * practitioner, update) at ~0.45 ms of CPU each.
 */
export async function useKnownCertificate(sql: SqlQueryable, fingerprint: string, at: Date): Promise<CertificateHolder | null> {
  const result = await sql.queryRaw({
    sql: USE_KNOWN_CERTIFICATE,
    args: [fingerprint, at],
    argTypes: [TEXT, TIMESTAMP],
  });
  const row = result.rows[0] as [string, string] | undefined;
  return row ? { practitionerId: row[0], hcRoles: JSON.parse(row[1]) as unknown } : null;
}
