import type { NextConfig } from 'next';
import createNextIntlPlugin from 'next-intl/plugin';

const withNextIntl = createNextIntlPlugin('./src/i18n/request.ts');

const nextConfig: NextConfig = {
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

export default withNextIntl(nextConfig);
