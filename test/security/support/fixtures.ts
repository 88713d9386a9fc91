import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { ApiClient, tokenOf } from '../../auth/apiClient';
import { SoftAuthenticator } from '../../auth/softAuthenticator';
import { withCheckDigit } from '../../harness/idNumber';
import type { TestNode } from '../../harness/testNode';
import { WsClient } from './wsClient';
import type { RequestPayload } from '@rvw/protocol/messages';

/** 吴江 (applicant side of most demo items) and 霍邱 (serving side). */
export const WUJIANG = '320509';
export const HUOQIU = '341522';
/** The demo partnership between them. */
export const PARTNERSHIP = 'wujiang-huoqiu';
/** 城乡居民基本养老保险个人账户一次性支付: served by 霍邱 for 吴江 applicants. */
export const ITEM_X = '000117005000';
/** 参保缴费证明开具: served by 霍邱 for 吴江 AND by 吴江 for 霍邱. */
export const ITEM_CERT = '000117013000';
/** 社会保险关系转移接续: served by 霍邱 only. */
export const ITEM_TRANSFER = '000117009000';

/** A staff member enrolled by a test, keeping the passkey so more sessions can be opened. */
export interface EnrolledStaff {
  api: ApiClient;
  key: SoftAuthenticator;
  staffId: string;
  /** `rvw_sid=…` */
  cookieHeader: string;
  /** Signs in again in a new "browser": a second, independent session of the same person. */
  newSession(): Promise<ApiClient>;
}

/** Invites (as the provincial admin), enrols and signs in a staff member. */
export async function enrolStaff(t: TestNode, invite: Record<string, unknown>, name: string): Promise<EnrolledStaff> {
  const inv = await t.admin.call<{ url: string }>('POST', '/api/admin/invites', invite);
  if (!inv.ok) throw new Error(`invite failed: ${JSON.stringify(inv.error)}`);
  const api = new ApiClient(t.origin, t.origin);
  const key = new SoftAuthenticator(t.origin);
  const e = await api.enrol(key, tokenOf(inv.data.url), name);
  if (!e.ok) throw new Error(`enrolment failed: ${JSON.stringify(e.error)}`);
  const s = await api.signIn(key);
  if (!s.ok) throw new Error(`sign-in failed: ${JSON.stringify(s.error)}`);
  return {
    api,
    key,
    staffId: e.data.staffId,
    cookieHeader: api.cookieHeader,
    async newSession() {
      const other = new ApiClient(t.origin, t.origin);
      const r = await other.signIn(key);
      if (!r.ok) throw new Error(`second sign-in failed: ${JSON.stringify(r.error)}`);
      return other;
    },
  };
}

let applicantSeq = 0;
/** A fresh applicant with a valid GB 11643 ID number. */
export function applicant(name = '陈建国'): { name: string; idNumber: string } {
  applicantSeq = (applicantSeq + 1) % 1000;
  return { name, idNumber: withCheckDigit(`34152219580312${String(applicantSeq).padStart(3, '0')}`) };
}

/** Counter opens a case, clerk accepts it; returns the case id (state `in_session`). */
export async function openAcceptedCase(counter: WsClient, clerk: WsClient, itemCode: string, partnershipId = PARTNERSHIP): Promise<string> {
  const opened = await counter.call('queue.join', { partnershipId, itemCode, applicant: applicant() });
  await clerk.call('queue.accept', { caseId: opened.id });
  return opened.id;
}

/** The `rtpParameters` of a `produce` request, as the protocol's schema types them. */
export type RtpParametersWire = RequestPayload<'produce'>['rtpParameters'];

/** Opus send parameters mediasoup accepts (no browser needed to produce). */
export function opusRtpParameters(ssrc: number): RtpParametersWire {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

/** H264 send parameters mediasoup accepts (a hardware-encoding terminal's camera; no browser needed). */
export function h264RtpParameters(ssrc: number): RtpParametersWire {
  return {
    codecs: [
      {
        mimeType: 'video/H264',
        payloadType: 102,
        clockRate: 90000,
        parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
      },
    ],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

/** Syntactically fine DTLS parameters (a made-up fingerprint). */
export const FAKE_DTLS = {
  role: 'client',
  fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }],
};

/** A 1×1 PNG. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Everything Redis holds for a case: the record hash and the audit stream length. */
export async function caseSnapshot(t: TestNode, caseId: string): Promise<{ record: Record<string, string>; events: number }> {
  const keys = CaseStore.keysOf(caseId);
  const [record, events] = await Promise.all([t.node.redis.hGetAll(keys.record), t.node.redis.xLen(keys.events)]);
  return { record: { ...record }, events };
}
