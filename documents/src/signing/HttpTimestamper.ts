import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { DocumentError } from '../errors/DocumentError.js';
import { OID } from './oids.js';
import type { Timestamper } from './Timestamper.js';

/**
 * Timestamps over HTTP (RFC 3161 §3.4: POST application/timestamp-query). Checks that the token
 * answers this request — same imprint and nonce — so a confused or replaying TSA cannot attach
 * someone else's token to our signature.
 */
export class HttpTimestamper implements Timestamper {
  constructor(
    /** The TSA endpoint. */
    readonly url: string,
    private readonly options: { timeoutMs?: number; randomBytes?: (size: number) => Uint8Array } = {},
  ) {}

  /** Requests a token over `imprint` (SHA-256). */
  async timestamp(imprint: Uint8Array): Promise<Uint8Array> {
    const nonceBytes = (this.options.randomBytes ?? randomBytes)(8);
    // DER INTEGER: positive (top bit clear) and minimal (first byte never 0x00). A leading zero
    // byte is non-minimal DER, which OpenSSL refuses as a malformed request (1 in 256 nonces).
    nonceBytes[0] = ((nonceBytes[0] ?? 0) & 0x7f) | 0x40;
    const nonce = new asn1js.Integer({ valueHex: nonceBytes });
    const request = new pkijs.TimeStampReq({
      version: 1,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
        hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
      }),
      nonce,
      certReq: true,
    });
    let body: ArrayBuffer;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: new Uint8Array(request.toSchema().toBER()),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.arrayBuffer();
    } catch (e) {
      throw new DocumentError('TIMESTAMP_FAILED', `时间戳服务不可用，请稍后重试 (TSA request failed: ${(e as Error).message})`);
    }
    const reply = pkijs.TimeStampResp.fromBER(body);
    // PKIStatus granted (0) or grantedWithMods (1).
    if (reply.status.status > 1 || !reply.timeStampToken) {
      const said = reply.status.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? '';
      throw new DocumentError('TIMESTAMP_FAILED', `时间戳服务拒绝请求 (TSA status ${reply.status.status}${said ? `: ${said}` : ''})`);
    }
    const signed = new pkijs.SignedData({ schema: reply.timeStampToken.content });
    const eContent = signed.encapContentInfo.eContent;
    if (signed.encapContentInfo.eContentType !== OID.tstInfo || !eContent) throw new DocumentError('TIMESTAMP_FAILED', '时间戳令牌格式错误 (not a TSTInfo)');
    const info = pkijs.TSTInfo.fromBER(eContent.getValue());
    const hashed = new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView);
    if (info.messageImprint.hashAlgorithm.algorithmId !== OID.sha256 || Buffer.compare(hashed, imprint) !== 0) {
      throw new DocumentError('TIMESTAMP_FAILED', '时间戳令牌与签名不符 (imprint mismatch)');
    }
    if (!info.nonce || !info.nonce.isEqual(nonce)) throw new DocumentError('TIMESTAMP_FAILED', '时间戳令牌与请求不符 (nonce mismatch)');
    return new Uint8Array(reply.timeStampToken.toSchema().toBER());
  }
}
