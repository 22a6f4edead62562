import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { originSchema } from '../protocol.ts';

/**
 * The host's own allow-list, checked again after the extension's: a JSON file next to the host
 * (`card-bridge.config.json`), or the path in CARD_BRIDGE_CONFIG. Written by the installer.
 *
 *   { "allowedOrigins": ["https://sso.example.jp"], "mode": "production" }
 *
 * `mode` "demo" or "dev" also admits loopback http origins (http://localhost:3000) — and only then.
 * A missing or unreadable file allows nothing.
 */
export const configSchema = z
  .object({
    allowedOrigins: z.array(originSchema).max(100),
    mode: z.enum(['production', 'demo', 'dev']).default('production'),
    /** Per-APDU and per-connect timeout (ms). */
    timeoutMs: z.number().int().min(100).max(300_000).optional(),
  })
  .strict();
export type HostConfig = z.infer<typeof configSchema>;

export const CONFIG_FILE_NAME = 'card-bridge.config.json';
export const defaultConfigPath = () => path.join(path.dirname(fileURLToPath(import.meta.url)), CONFIG_FILE_NAME);

export function loadConfig(file = process.env.CARD_BRIDGE_CONFIG || defaultConfigPath()): { config: HostConfig; problem?: string } {
  try {
    const parsed = configSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) return { config: { allowedOrigins: [], mode: 'production' }, problem: `${file}: ${parsed.error.issues[0]?.message}` };
    return { config: parsed.data };
  } catch (error) {
    return { config: { allowedOrigins: [], mode: 'production' }, problem: `${file}: ${(error as Error).message}` };
  }
}

const isLoopbackHttp = (origin: string) => {
  const u = new URL(origin);
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
};

/** null when allowed; else why not. */
export function originRefusal(config: HostConfig, origin: string): string | null {
  if (isLoopbackHttp(origin) && config.mode === 'production') return `${origin}: loopback http origins are allowed only in demo or dev mode`;
  if (!config.allowedOrigins.includes(origin)) return `${origin} is not on the card bridge's allow-list`;
  return null;
}
