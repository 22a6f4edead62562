/**
 * Canonical form of a certificate serial number for lookups: lower-case hex of the INTEGER's
 * content without leading zero bytes ("00ab" and "AB" are the same serial).
 */
export function normaliseSerialHex(serialHex: string): string {
  const hex = serialHex.replace(/[\s:]/g, '').toLowerCase();
  const stripped = hex.replace(/^(00)+/, '');
  return stripped === '' ? '00' : stripped.length % 2 ? `0${stripped}` : stripped;
}
