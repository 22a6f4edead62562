import crypto from 'node:crypto';
import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import type { Db } from '../../../db/current.ts';
import type { CrossDeviceRequest } from '../../../generated/prisma/client.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import { ACR } from '../../assurance.ts';
import { consumeChallenge, issueChallenge } from '../../challenges.ts';
import type { Assurance, AuthResult } from '../../login-method.ts';

/** The phone approved a login shown on another screen (seed 003): the passkey's level, `mca` marks it. */
export const CROSS_DEVICE_ASSURANCE: Assurance = { amr: ['hwk', 'user', 'mca'], acr: ACR.passkey };
import type { RelyingParty } from '../passkey/relying-party.ts';
import { authenticationResponseSchema, challengeFromClientData } from '../passkey/response-schemas.ts';
import { verifyPasskeyAssertion } from '../passkey/verify-passkey-assertion.ts';

/** The QR code on the terminal is valid for 2 minutes (SPEC §3, seed 003). */
export const CROSS_DEVICE_SECONDS = 120;
/** After the phone approved, the waiting terminal must take the login over within this time. */
export const CROSS_DEVICE_COMPLETE_SECONDS = 60;

export type CrossDeviceStatus = 'pending' | 'approved' | 'used' | 'expired' | 'cancelled';
export type CrossDeviceProblem = 'cross_device_unknown' | 'cross_device_expired' | 'cross_device_used' | 'cross_device_cancelled';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const requestIdSchema = z.string().uuid();

const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

export function crossDeviceUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/approve/${token}`;
}

/** The status as of `now`: a pending request past its expiry, or an approval not taken over in time, is expired. */
export function effectiveStatus(row: CrossDeviceRequest, now = new Date()): CrossDeviceStatus {
  if (row.status === 'pending' && row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.status === 'approved' && (row.approvedAt?.getTime() ?? 0) + CROSS_DEVICE_COMPLETE_SECONDS * 1000 <= now.getTime()) return 'expired';
  return row.status as CrossDeviceStatus;
}

/** Why the phone cannot approve this request, in the words a person should hear; null when it can. */
export function approvalProblem(row: CrossDeviceRequest | null, now = new Date()): CrossDeviceProblem | null {
  if (!row) return 'cross_device_unknown';
  const status = effectiveStatus(row, now);
  if (status === 'pending') return null;
  if (status === 'approved' || status === 'used') return 'cross_device_used';
  if (status === 'cancelled') return 'cross_device_cancelled';
  return 'cross_device_expired';
}

const problemStatus: Record<CrossDeviceProblem, number> = {
  cross_device_unknown: 404,
  cross_device_expired: 410,
  cross_device_used: 410,
  cross_device_cancelled: 410,
};

export interface StartCrossDevice {
  interactionUid: string;
  clientId: string;
  clientName: string;
  terminalIp?: string;
  terminalAgent?: string | null;
}

/**
 * A new one-time URL for this login: 256 random bits, only the hash stored. Earlier codes of the same
 * login stop working ("new code" button), so one QR at a time can be approved for it.
 */
export async function startCrossDeviceRequest(prisma: Db, start: StartCrossDevice, now = new Date()) {
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + CROSS_DEVICE_SECONDS * 1000);
  const row = await prisma.$transaction(async (tx) => {
    await tx.crossDeviceRequest.updateMany({
      where: { interactionUid: start.interactionUid, status: { in: ['pending', 'approved'] } },
      data: { status: 'cancelled', cancelledAt: now },
    });
    return tx.crossDeviceRequest.create({
      data: {
        tokenHash: hashToken(token),
        interactionUid: start.interactionUid,
        clientId: start.clientId,
        clientName: start.clientName,
        terminalIp: start.terminalIp ?? null,
        terminalAgent: start.terminalAgent ?? null,
        createdAt: now,
        expiresAt,
      },
    });
  });
  return { id: row.id, token, expiresAt };
}

export async function findCrossDeviceRequest(prisma: Db, token: string): Promise<CrossDeviceRequest | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  return prisma.crossDeviceRequest.findUnique({ where: { tokenHash: hashToken(token) } });
}

async function requireApprovable(prisma: Db, token: string, now = new Date()): Promise<CrossDeviceRequest> {
  const row = await findCrossDeviceRequest(prisma, token);
  const problem = approvalProblem(row, now);
  if (problem) throw new PortalError(problem, problemStatus[problem]);
  return row!;
}

const challengeBinding = (row: CrossDeviceRequest) => `cross-device:${row.id}`;

/** Phone, step 1: WebAuthn options for this request; the challenge lives no longer than the request. */
export async function beginCrossDeviceApproval(prisma: Db, rp: RelyingParty, token: string) {
  const row = await requireApprovable(prisma, token);
  const seconds = Math.max(1, Math.ceil((row.expiresAt.getTime() - Date.now()) / 1000));
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    allowCredentials: [],
    timeout: seconds * 1000,
  });
  await issueChallenge(prisma, 'passkey-login', challengeBinding(row), seconds, options.challenge);
  return { request: row, options };
}

/**
 * Phone, step 2: the registered passkey signed this request's challenge (same verification as the
 * same-device login); the request becomes approved by that practitioner and credential, atomically,
 * so at most one approval ever counts.
 */
export async function finishCrossDeviceApproval(prisma: Db, rp: RelyingParty, token: string, body: unknown) {
  const parsed = authenticationResponseSchema.safeParse(body);
  if (!parsed.success) throw new PortalError('invalid_request', 400, 'not a WebAuthn authentication response');
  const response = parsed.data;
  const row = await requireApprovable(prisma, token);
  const challenge = challengeFromClientData(response.response.clientDataJSON);
  const spent = await consumeChallenge(prisma, 'passkey-login', challengeBinding(row), challenge);
  if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);
  const { practitionerId, credentialId } = await verifyPasskeyAssertion(prisma, rp, response, challenge);

  const now = new Date();
  const approved = await prisma.crossDeviceRequest.updateMany({
    where: { id: row.id, status: 'pending', expiresAt: { gt: now } },
    data: { status: 'approved', approvedAt: now, practitionerId, credentialId },
  });
  if (approved.count !== 1) {
    const problem = approvalProblem(await prisma.crossDeviceRequest.findUnique({ where: { id: row.id } }), now) ?? 'cross_device_used';
    throw new PortalError(problem, problemStatus[problem]);
  }
  return { request: row, practitionerId, credentialId };
}

/** Terminal: the status of its own request; a request of another login is refused. */
export async function crossDeviceStatus(prisma: Db, interactionUid: string, requestId: string, now = new Date()) {
  const row = await requireOwnRequest(prisma, interactionUid, requestId);
  return { status: effectiveStatus(row, now), expiresAt: row.expiresAt };
}

async function requireOwnRequest(prisma: Db, interactionUid: string, requestId: string): Promise<CrossDeviceRequest> {
  if (!requestIdSchema.safeParse(requestId).success) throw new PortalError('cross_device_unknown', 404);
  const row = await prisma.crossDeviceRequest.findUnique({ where: { id: requestId } });
  if (!row) throw new PortalError('cross_device_unknown', 404);
  if (row.interactionUid !== interactionUid) throw new PortalError('cross_device_mismatch', 403);
  return row;
}

/**
 * Terminal: takes the phone's approval over, once. The conditional UPDATE (approved → used, for this
 * login, in time) succeeds for exactly one caller; the approving credential must still be the
 * practitioner's device (a device change cancels approvals; this check closes the race).
 */
export async function completeCrossDeviceRequest(
  prisma: Db,
  interactionUid: string,
  requestId: string,
  now = new Date(),
): Promise<AuthResult & { credentialId: string }> {
  const row = await requireOwnRequest(prisma, interactionUid, requestId);
  const taken = await prisma.crossDeviceRequest.updateMany({
    where: {
      id: row.id,
      interactionUid,
      status: 'approved',
      approvedAt: { gt: new Date(now.getTime() - CROSS_DEVICE_COMPLETE_SECONDS * 1000) },
    },
    data: { status: 'used', usedAt: now },
  });
  if (taken.count !== 1) {
    const status = effectiveStatus((await prisma.crossDeviceRequest.findUnique({ where: { id: row.id } })) ?? row, now);
    if (status === 'pending') throw new PortalError('cross_device_not_approved', 409);
    if (status === 'used' || status === 'approved') throw new PortalError('cross_device_used', 410);
    if (status === 'cancelled') throw new PortalError('cross_device_cancelled', 410);
    throw new PortalError('cross_device_expired', 410);
  }
  const used = await prisma.crossDeviceRequest.findUniqueOrThrow({ where: { id: row.id } });
  const device = used.credentialId
    ? await prisma.passkeyCredential.findUnique({ where: { id: used.credentialId }, include: { practitioner: true } })
    : null;
  if (!device || device.practitionerId !== used.practitionerId) throw new PortalError('cross_device_cancelled', 410);
  if (device.practitioner.lockedAt) throw new PortalError('practitioner_locked', 403);
  return {
    practitionerId: device.practitionerId,
    credentialId: device.id,
    method: 'passkey-cross-device',
    amr: [...CROSS_DEVICE_ASSURANCE.amr],
    acr: CROSS_DEVICE_ASSURANCE.acr,
  };
}
