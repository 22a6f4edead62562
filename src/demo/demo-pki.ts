import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  issueCrl,
  issueHpkiCaHierarchy,
  issueJpkiTestRoot,
  issueJpkiUserCertificate,
  issuePractitionerCertificate,
  type IssuedCertificate,
  type IssuedCrl,
} from '../pki/test-pki/index.ts';
import { x509 } from '../pki/x509.ts';

/**
 * The demo's own HPKI hierarchy (made by the test PKI generator): an MHLW-style test root, the
 * authentication and signing CAs, CRLs, and one authentication certificate for each demo
 * practitioner. Kept in a folder so the demo cards stay valid across restarts; demo mode only —
 * production trusts only what an administrator imports.
 */
export interface DemoCard {
  holder: 'doctor' | 'pharmacist';
  registrationNumber: string;
  certificate: IssuedCertificate;
}

export interface DemoPki {
  root: IssuedCertificate;
  authCa: IssuedCertificate;
  signCa: IssuedCertificate;
  crls: IssuedCrl[];
  cards: DemoCard[];
  /** A J-LIS-style test root and the demo doctor's My Number Card (PIN 1234), for the JPKI login. */
  jpkiRoot: IssuedCertificate;
  jpkiCrl: IssuedCrl;
  myNumberCard: IssuedCertificate;
}

export const DEMO_MY_NUMBER_CARD_PIN = '1234';

interface StoredCertificate {
  pem: string;
  pkcs8: string;
  algorithm: 'rsa-2048' | 'ecdsa-p256';
}

const DAY = 86_400_000;

const DEMO_HOLDERS = [
  {
    holder: 'doctor' as const,
    registrationNumber: 'DEMO-MD-000001',
    identity: {
      romanisedName: 'Sanjushi Kagurazaka',
      kanjiFamilyName: '神楽坂',
      kanjiGivenName: '三十四',
      facilityEn: 'HPKI DEMO UNIVERSITY HOSPITAL',
      facilityJa: 'HPKIデモ大学病院',
      hpkiId: 'Demo000001',
    },
    role: 'Medical Doctor',
    keyAlgorithm: 'rsa-2048' as const,
  },
  {
    holder: 'pharmacist' as const,
    registrationNumber: 'DEMO-PH-000002',
    identity: {
      romanisedName: 'Hanako Yakushiji',
      kanjiFamilyName: '薬師寺',
      kanjiGivenName: '花子',
      facilityEn: 'HPKI DEMO PHARMACY',
      facilityJa: 'HPKIデモ薬局',
      hpkiId: 'Demo000002',
    },
    role: 'Pharmacist',
    keyAlgorithm: 'ecdsa-p256' as const,
  },
];

async function store(issued: IssuedCertificate): Promise<StoredCertificate> {
  const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', issued.keys.privateKey)).toString('base64');
  const algorithm = issued.keys.privateKey.algorithm.name === 'ECDSA' ? 'ecdsa-p256' : 'rsa-2048';
  return { pem: issued.pem, pkcs8, algorithm };
}

async function restore(stored: StoredCertificate): Promise<IssuedCertificate> {
  const certificate = new x509.X509Certificate(stored.pem);
  const algorithm = stored.algorithm === 'ecdsa-p256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const privateKey = await crypto.webcrypto.subtle.importKey('pkcs8', Buffer.from(stored.pkcs8, 'base64'), algorithm, true, ['sign']);
  const publicKey = await certificate.publicKey.export(algorithm, ['verify']);
  return { certificate, der: new Uint8Array(certificate.rawData), pem: stored.pem, keys: { privateKey, publicKey } };
}

let cached: Promise<DemoPki> | undefined;

/** Loads the demo hierarchy from `dir`, creating it on first use; CRLs are fresh on every load. */
export function loadDemoPki(dir: string): Promise<DemoPki> {
  cached ??= loadOrCreate(dir);
  return cached;
}

async function loadOrCreate(dir: string): Promise<DemoPki> {
  const file = path.join(dir, 'demo-pki.json');
  let stored: Record<string, StoredCertificate>;
  if (fs.existsSync(file)) {
    stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  } else {
    const now = new Date();
    const hierarchy = await issueHpkiCaHierarchy({ now, rootLabel: 'MHLW HPKI Root CA V2 DEMO (NOT FOR PRODUCTION)' });
    stored = { root: await store(hierarchy.root), authCa: await store(hierarchy.authCa), signCa: await store(hierarchy.signCa) };
    for (const holder of DEMO_HOLDERS) {
      const card = await issuePractitionerCertificate({
        issuer: hierarchy.authCa,
        kind: 'authentication',
        practitioner: holder.identity,
        hcRoles: [{ role: holder.role }],
        keyAlgorithm: holder.keyAlgorithm,
        notBefore: new Date(now.getTime() - DAY),
        notAfter: new Date(now.getTime() + 3 * 365 * DAY),
      });
      stored[holder.holder] = await store(card);
    }
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  if (!stored.jpkiRoot) {
    // Added after the first demo release: older demo folders get their JPKI part on next start.
    const now = new Date();
    const jpkiRoot = await issueJpkiTestRoot(now);
    const card = await issueJpkiUserCertificate({
      issuer: jpkiRoot,
      cardId: 'DEMO0000MYNUMBER0000001',
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 3 * 365 * DAY),
    });
    stored.jpkiRoot = await store(jpkiRoot);
    stored.myNumberCard = await store(card);
    fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const root = await restore(stored.root!);
  const authCa = await restore(stored.authCa!);
  const signCa = await restore(stored.signCa!);
  const thisUpdate = new Date(Date.now() - 3600_000);
  const nextUpdate = new Date(Date.now() + 7 * DAY);
  const jpkiRoot = await restore(stored.jpkiRoot!);
  const myNumberCard = await restore(stored.myNumberCard!);
  const [jpkiCrl, ...crls] = await Promise.all(
    [jpkiRoot, root, authCa, signCa].map((issuer, i) => issueCrl({ issuer, thisUpdate, nextUpdate, crlNumber: Math.floor(Date.now() / 1000) + i })),
  );
  const cards: DemoCard[] = [];
  for (const holder of DEMO_HOLDERS) {
    cards.push({ holder: holder.holder, registrationNumber: holder.registrationNumber, certificate: await restore(stored[holder.holder]!) });
  }
  return { root, authCa, signCa, crls, cards, jpkiRoot, jpkiCrl: jpkiCrl!, myNumberCard };
}

/** The private key of a demo card, for the software card script (demo only). */
export async function demoCardKey(card: DemoCard): Promise<{ pkcs8: string; algorithm: 'RSA' | 'EC' }> {
  const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', card.certificate.keys.privateKey)).toString('base64');
  return { pkcs8, algorithm: card.certificate.keys.privateKey.algorithm.name === 'ECDSA' ? 'EC' : 'RSA' };
}
