/**
 * Test OCSP responder (RFC 6960): answers DER OCSPRequests with BasicOCSPResponses built from the
 * @peculiar ASN.1 classes and signed with the generator's WebCrypto keys, plus a tiny HTTP server.
 * Every knob a validator must react to is an option: status, signer (issuing CA, delegated
 * responder, unrelated key), nonce echo, thisUpdate/nextUpdate, responseStatus, CertID.
 * Free of test-runner imports.
 */
import { createHash, webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as asn1Ocsp from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { normaliseSerialHex } from '../serial.ts';
import { x509 } from '../x509.ts';
import { issueCertificate, randomSerialHex } from './issue.ts';
import type { IssuedCertificate } from './issue.ts';
import { signingAlgorithmFor } from './keys.ts';
import type { KeyAlgorithmName } from './keys.ts';

const DAY = 24 * 60 * 60_000;

export type OcspAnswer =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: asn1X509.CRLReasons }
  | { status: 'unknown' };

export interface OcspResponseOptions {
  /** The CA whose certificates this responder answers for; a request CertID for another CA gets `unauthorized`. */
  issuer: IssuedCertificate;
  /** One answer for every serial, or per serial (normalised lower-case hex); undefined → unknown. */
  answer: OcspAnswer | ((serialHex: string) => OcspAnswer | undefined);
  /** Signing key: the issuing CA (default), a delegated responder certificate, or bare keys of no certificate. */
  signer?: IssuedCertificate | { keys: CryptoKeyPair };
  /** Whom the ResponderID names (default: the signer's certificate; the issuing CA for bare keys). */
  responderId?: { by: 'name' | 'key'; certificate?: x509.X509Certificate };
  /** Certificates in BasicOCSPResponse.certs (default: the delegated responder's certificate, else none). */
  certs?: x509.X509Certificate[];
  /** 'echo' the request nonce (default), 'omit' it, 'alter' one byte, or send these nonce bytes. */
  nonce?: 'echo' | 'omit' | 'alter' | Uint8Array;
  /** Clock of the responder (default: the current time). */
  now?: Date;
  /** Default: now. */
  thisUpdate?: Date;
  /** Default: thisUpdate + 1 day; null omits nextUpdate. */
  nextUpdate?: Date | null;
  /** Anything but `successful` gives an OCSPResponse without responseBytes. */
  responseStatus?: asn1Ocsp.OCSPResponseStatus;
  /** Answer with a CertID that differs from the request in this field (a response about another certificate). */
  alterCertId?: 'serialNumber' | 'issuerNameHash' | 'issuerKeyHash';
  /** Extra response extensions (e.g. an unknown critical one). */
  responseExtensions?: asn1X509.Extension[];
}

/** DER time values carry whole seconds (RFC 5280 §4.1.2.5.2). */
const wholeSeconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

const hashNames: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256' };

function keyBits(certificate: x509.X509Certificate): ArrayBuffer {
  return AsnConvert.parse(certificate.publicKey.rawData, asn1X509.SubjectPublicKeyInfo).subjectPublicKey;
}

/** Whether a request CertID names `issuer` (hashes of its subject DN and key, computed here independently). */
function certIdNamesIssuer(certId: asn1Ocsp.CertID, issuer: x509.X509Certificate): boolean {
  const hash = hashNames[certId.hashAlgorithm.algorithm];
  if (!hash) return false;
  const h = (data: ArrayBuffer) => createHash(hash).update(new Uint8Array(data)).digest();
  return (
    h(issuer.subjectName.toArrayBuffer()).equals(new Uint8Array(certId.issuerNameHash.buffer)) &&
    h(keyBits(issuer)).equals(new Uint8Array(certId.issuerKeyHash.buffer))
  );
}

function responseOnly(status: asn1Ocsp.OCSPResponseStatus): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new asn1Ocsp.OCSPResponse({ responseStatus: status })));
}

async function sign(keys: CryptoKeyPair, data: ArrayBuffer): Promise<{ signatureAlgorithm: asn1X509.AlgorithmIdentifier; signature: ArrayBuffer }> {
  const algorithm = signingAlgorithmFor(keys);
  let signature = await webcrypto.subtle.sign(algorithm, keys.privateKey as unknown as webcrypto.CryptoKey, data);
  if (algorithm.name === 'ECDSA') {
    const der = new x509.AsnEcSignatureFormatter().toAsnSignature({ ...algorithm, ...(keys.privateKey.algorithm as EcKeyAlgorithm) }, signature);
    if (!der) throw new Error('cannot encode the ECDSA signature');
    signature = der;
  }
  return { signatureAlgorithm: new x509.AlgorithmProvider().toAsnAlgorithm(algorithm), signature };
}

/** Parses a DER OCSPRequest (throws when it is not one). */
export function parseOcspRequest(der: Uint8Array): asn1Ocsp.OCSPRequest {
  return AsnConvert.parse(der, asn1Ocsp.OCSPRequest);
}

/** The nonce bytes a request carries (the OCTET STRING inside the extension), if any. */
export function requestNonce(request: asn1Ocsp.OCSPRequest): Uint8Array | undefined {
  const extension = request.tbsRequest.requestExtensions?.find((e) => e.extnID === asn1Ocsp.id_pkix_ocsp_nonce);
  return extension ? new Uint8Array(AsnConvert.parse(extension.extnValue.buffer, asn1Ocsp.Nonce).buffer) : undefined;
}

/** Builds the DER OCSPResponse a responder configured by `options` gives to `requestDer`. */
export async function createOcspResponse(requestDer: Uint8Array, options: OcspResponseOptions): Promise<Uint8Array> {
  if (options.responseStatus !== undefined && options.responseStatus !== asn1Ocsp.OCSPResponseStatus.successful) return responseOnly(options.responseStatus);
  let request: asn1Ocsp.OCSPRequest;
  try {
    request = parseOcspRequest(requestDer);
  } catch {
    return responseOnly(asn1Ocsp.OCSPResponseStatus.malformedRequest);
  }
  const issuer = options.issuer.certificate;
  if (request.tbsRequest.requestList.length === 0) return responseOnly(asn1Ocsp.OCSPResponseStatus.malformedRequest);
  if (!request.tbsRequest.requestList.every((r) => certIdNamesIssuer(r.reqCert, issuer))) return responseOnly(asn1Ocsp.OCSPResponseStatus.unauthorized);

  const now = options.now ?? new Date();
  const thisUpdate = wholeSeconds(options.thisUpdate ?? now);
  const nextUpdate = options.nextUpdate === null ? undefined : wholeSeconds(options.nextUpdate ?? new Date(thisUpdate.getTime() + DAY));
  const responses = request.tbsRequest.requestList.map((r) => {
    const serialHex = normaliseSerialHex(Buffer.from(r.reqCert.serialNumber).toString('hex'));
    const answer = (typeof options.answer === 'function' ? options.answer(serialHex) : options.answer) ?? { status: 'unknown' };
    const certStatus =
      answer.status === 'good'
        ? new asn1Ocsp.CertStatus({ good: null })
        : answer.status === 'revoked'
          ? new asn1Ocsp.CertStatus({
              revoked: new asn1Ocsp.RevokedInfo({
                revocationTime: wholeSeconds(answer.revokedAt),
                revocationReason: answer.reason === undefined ? undefined : new asn1X509.CRLReason(answer.reason),
              }),
            })
          : new asn1Ocsp.CertStatus({ unknown: null });
    const certID = new asn1Ocsp.CertID({ ...r.reqCert });
    if (options.alterCertId === 'serialNumber') certID.serialNumber = new Uint8Array(Buffer.from(randomSerialHex(), 'hex')).buffer;
    else if (options.alterCertId) {
      const altered = new Uint8Array(certID[options.alterCertId].buffer.slice(0));
      altered[0] = altered[0]! ^ 0x01;
      certID[options.alterCertId] = new OctetString(altered);
    }
    return new asn1Ocsp.SingleResponse({ certID, certStatus, thisUpdate, nextUpdate });
  });

  const responseExtensions: asn1X509.Extension[] = [...(options.responseExtensions ?? [])];
  const asked = requestNonce(request);
  const nonceMode = options.nonce ?? 'echo';
  let echoed: Uint8Array | undefined;
  if (nonceMode instanceof Uint8Array) echoed = nonceMode;
  else if (asked && nonceMode === 'echo') echoed = asked;
  else if (asked && nonceMode === 'alter') {
    echoed = Uint8Array.from(asked);
    echoed[echoed.length - 1] = echoed[echoed.length - 1]! ^ 0xff;
  }
  if (echoed) {
    responseExtensions.push(
      new asn1X509.Extension({ extnID: asn1Ocsp.id_pkix_ocsp_nonce, extnValue: new OctetString(AsnConvert.serialize(new asn1Ocsp.Nonce(echoed))) }),
    );
  }

  const signer: IssuedCertificate | { keys: CryptoKeyPair } = options.signer ?? options.issuer;
  const signerCertificate = 'certificate' in signer ? (signer as IssuedCertificate).certificate : undefined;
  const delegated = signerCertificate !== undefined && signer !== options.issuer;
  const named = options.responderId?.certificate ?? signerCertificate ?? issuer;
  const responderID =
    options.responderId?.by === 'key'
      ? new asn1Ocsp.ResponderID({ byKey: new asn1Ocsp.KeyHash(createHash('sha1').update(new Uint8Array(keyBits(named))).digest()) })
      : new asn1Ocsp.ResponderID({ byName: AsnConvert.parse(named.subjectName.toArrayBuffer(), asn1X509.Name) });

  const tbsResponseData = new asn1Ocsp.ResponseData({
    responderID,
    producedAt: wholeSeconds(now),
    responses,
    responseExtensions: responseExtensions.length ? responseExtensions : undefined,
  });
  const { signatureAlgorithm, signature } = await sign(signer.keys, AsnConvert.serialize(tbsResponseData));
  const certs: x509.X509Certificate[] = options.certs ?? (delegated && signerCertificate ? [signerCertificate] : []);
  const basic = new asn1Ocsp.BasicOCSPResponse({
    tbsResponseData,
    signatureAlgorithm,
    signature,
    certs: certs.length ? certs.map((c) => AsnConvert.parse(c.rawData, asn1X509.Certificate)) : undefined,
  });
  return new Uint8Array(
    AsnConvert.serialize(
      new asn1Ocsp.OCSPResponse({
        responseStatus: asn1Ocsp.OCSPResponseStatus.successful,
        responseBytes: new asn1Ocsp.ResponseBytes({ responseType: asn1Ocsp.id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
      }),
    ),
  );
}

/**
 * A delegated OCSP responder certificate issued by `issuer`: keyUsage digitalSignature, EKU
 * id-kp-OCSPSigning (unless `ocspSigning: false`) and id-pkix-ocsp-nocheck.
 */
export async function issueOcspResponderCertificate(options: {
  issuer: IssuedCertificate;
  now: Date;
  ocspSigning?: boolean;
  keyAlgorithm?: KeyAlgorithmName;
  notBefore?: Date;
  notAfter?: Date;
  commonName?: string;
}): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: [{ C: ['JP'] }, { O: ['MEDIS TEST'] }, { CN: [options.commonName ?? 'HPKI TEST OCSP Responder'] }],
    issuer: options.issuer,
    keyAlgorithm: options.keyAlgorithm ?? 'ecdsa-p256',
    notBefore: options.notBefore ?? new Date(options.now.getTime() - DAY),
    notAfter: options.notAfter ?? new Date(options.now.getTime() + 30 * DAY),
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    extendedKeyUsage: options.ocspSigning === false ? [x509.ExtendedKeyUsage.clientAuth] : [asn1Ocsp.id_kp_OCSPSigning],
    // id-pkix-ocsp-nocheck ::= NULL; ExtendedRevoke is the library's NULL-valued type.
    extensions: [new x509.Extension(asn1Ocsp.id_pkix_ocsp_nocheck, false, AsnConvert.serialize(new asn1Ocsp.ExtendedRevoke()))],
  });
}

export interface OcspHttpRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Uint8Array;
}

export interface OcspHttpReply {
  status?: number;
  body?: Uint8Array | string;
  contentType?: string;
}

/** 'hang' keeps the connection open without answering (for timeouts). */
export type OcspHttpHandler = (request: OcspHttpRequest) => OcspHttpReply | 'hang' | Promise<OcspHttpReply | 'hang'>;

export interface OcspHttpServer {
  /** http://127.0.0.1:<port>/ocsp */
  url: string;
  /** Every request received, oldest first. */
  requests: OcspHttpRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (random port) passing each request body to `handler`. */
export async function startOcspHttpServer(handler: OcspHttpHandler): Promise<OcspHttpServer> {
  const requests: OcspHttpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: OcspHttpRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: new Uint8Array(Buffer.concat(chunks)),
      };
      requests.push(request);
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (reply) => {
            if (reply === 'hang') return;
            const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body);
            res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/ocsp-response', 'content-length': body.byteLength });
            res.end(body);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(error));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // Named `localhost`: the portal's outbound fetch reaches it because test portals allow that host (PRIVATE_FETCH_HOSTS).
    url: `http://localhost:${port}/ocsp`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP handler that answers every POST with `createOcspResponse(body, options())`. */
export function ocspResponderHandler(options: OcspResponseOptions | (() => OcspResponseOptions)): OcspHttpHandler {
  return async (request) => {
    if (request.method !== 'POST' || request.contentType !== 'application/ocsp-request') return { status: 415, body: 'expected POST application/ocsp-request', contentType: 'text/plain' };
    return { body: await createOcspResponse(request.body, typeof options === 'function' ? options() : options) };
  };
}
