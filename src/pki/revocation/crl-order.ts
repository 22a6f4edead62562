/** What decides which of two CRLs of one CA is newer: cRLNumber first, thisUpdate without numbers. */
export interface CrlOrderFacts {
  crlNumber: bigint | undefined;
  thisUpdate: Date;
  /** SHA-256 of the DER, to tell the same CRL loaded twice from a different one. */
  sha256?: string;
}

/** True when `a` should be in force rather than `b` (same issuing CA). */
export function isNewerCrl(a: CrlOrderFacts, b: CrlOrderFacts): boolean {
  if (a.crlNumber !== undefined && b.crlNumber !== undefined && a.crlNumber !== b.crlNumber) return a.crlNumber > b.crlNumber;
  return a.thisUpdate.getTime() > b.thisUpdate.getTime();
}

/**
 * Why `candidate` may not be loaded next to `held`, the CRL in force for the same CA, or undefined.
 * RFC 5280 §5.2.3: cRLNumber increases monotonically, so a lower one is an old (or replayed) CRL
 * even when it is dated later; the same number with other contents, a CRL without a number after
 * one with a number, or a higher number dated before the held CRL are out of order too.
 */
export function crlOrderProblem(candidate: CrlOrderFacts, held: CrlOrderFacts): string | undefined {
  if (candidate.sha256 !== undefined && candidate.sha256 === held.sha256) return undefined;
  if (held.crlNumber === undefined) return undefined;
  if (candidate.crlNumber === undefined) return `the CRL has no cRLNumber, the one held has ${held.crlNumber}`;
  if (candidate.crlNumber < held.crlNumber) return `cRLNumber ${candidate.crlNumber} is lower than ${held.crlNumber}, the one held (dated ${held.thisUpdate.toISOString()})`;
  if (candidate.crlNumber === held.crlNumber) return `cRLNumber ${candidate.crlNumber} is the one held, with other contents`;
  if (candidate.thisUpdate.getTime() < held.thisUpdate.getTime()) {
    return `cRLNumber ${candidate.crlNumber} is higher than ${held.crlNumber} but its thisUpdate ${candidate.thisUpdate.toISOString()} is earlier than ${held.thisUpdate.toISOString()}`;
  }
  return undefined;
}
