/**
 * Test PKI generator: an MHLW-style HPKI hierarchy, CRLs and practitioner certificates, made at run
 * time (fresh keys, fixed structure). Free of test-runner imports so the demo seed can use it.
 */
export * from './hc-role-extension.ts';
export * from './hpki-test-pki.ts';
export * from './issue.ts';
export * from './jpki-test-pki.ts';
export * from './keys.ts';
export * from './non-conforming-certificates.ts';
export * from './ocsp-responder.ts';
export * from './recraft.ts';
