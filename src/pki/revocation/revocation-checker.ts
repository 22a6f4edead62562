import type { PkiErrorCode } from '../errors.ts';
import type { x509 } from '../x509.ts';

export type RevocationStatus =
  | { status: 'good'; source: string }
  | { status: 'revoked'; source: string; revokedAt: Date; reason?: number }
  /** No answer this checker can stand behind; `code` is what the login fails with if no checker answers. */
  | { status: 'unknown'; source: string; code: PkiErrorCode; detail: string }
  /**
   * This source does not cover the certificate at all (e.g. it names no OCSP responder): it is
   * skipped, and a later checker's code is what people see. `code` is used only when no checker applies.
   */
  | { status: 'not-applicable'; source: string; code: PkiErrorCode; detail: string };

/**
 * One source of revocation status (CRL today; OCSP is the intended next implementation).
 * Checkers must not throw for an unavailable source: they return `unknown`.
 */
export interface RevocationChecker {
  readonly name: string;
  check(certificate: x509.X509Certificate, issuer: x509.X509Certificate, now: Date): Promise<RevocationStatus>;
}
