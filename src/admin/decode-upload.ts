import { z } from 'zod';
import { PortalError } from '../errors/portal-error.ts';

export const UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

/** A file sent by the console: its bytes as base64 (PEM or DER alike). */
export const uploadSchema = z.string().min(1).max(Math.ceil((UPLOAD_MAX_BYTES * 4) / 3) + 4);

export function decodeUpload(base64: string): Uint8Array {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(base64)) throw new PortalError('admin_input_invalid', 400, 'file is not base64', { detail: 'file: not base64' });
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.length === 0) throw new PortalError('admin_input_invalid', 400, 'empty file', { detail: 'file: empty' });
  return bytes;
}

/** The DER inside a PEM block of the given label, or the bytes themselves when they are not PEM. */
export function pemToDer(bytes: Uint8Array, label: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(text);
  return match ? new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64')) : bytes;
}
