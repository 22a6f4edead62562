import { PHASE_PRODUCTION_SERVER } from 'next/constants.js';

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages stay out of the page bundles; the process shares one instance of each.
  serverExternalPackages: [
    'oidc-provider',
    '@simplewebauthn/server',
    '@electric-sql/pglite',
    'pglite-prisma-adapter',
    'pg',
    '@prisma/adapter-pg',
    '@prisma/schema-engine-wasm',
    '@peculiar/x509',
    'reflect-metadata',
  ],
  poweredByHeader: false,
  // `npm run typecheck` (part of `npm test`) checks the whole project once; builds skip the repeat.
  typescript: { ignoreBuildErrors: true },
  // Security headers (CSP with a per-request nonce, nosniff, frame-ancestors, no-store, HSTS) are set
  // for every response, pages included, by the portal's request handler: src/http/security-headers.ts.
};

/**
 * JavaScript, not TypeScript, and next-intl's plugin only where pages are built: a `next.config.ts`
 * makes the running portal load Next's SWC compiler (26 MB resident) to read it, and the plugin loads
 * `@swc/core` and `@parcel/watcher` (10 MB more) for its message extractor. The plugin's work (the
 * `next-intl/config` alias to src/i18n/request.ts) is done at build time; the production server
 * serves the built pages (issue 18: memory).
 */
export default async function config(phase) {
  if (phase === PHASE_PRODUCTION_SERVER) return nextConfig;
  const { default: createNextIntlPlugin } = await import('next-intl/plugin');
  return createNextIntlPlugin('./src/i18n/request.ts')(nextConfig);
}
