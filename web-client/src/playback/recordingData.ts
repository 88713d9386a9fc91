import { ApiError } from '../auth/ApiError';

/** One recorded segment as `GET /api/cases/:id/recordings` lists it (signaling RecordingSegmentRecord). */
export interface SegmentInfo {
  sha256: string;
  bytes: number;
  source: string;
  kind: 'audio' | 'video';
  codec: string;
  startedAt: number;
  endedAt: number;
  firstPacketAt: number | null;
  reason: string;
}

/** The answer of `GET /api/cases/:id/recordings` (signaling createRecordingRouter). */
export interface CaseRecordings {
  caseId: string;
  case: { id: string; number: string | null; itemName: string; state: string; createdAt: string; acceptedAt: string | null; closedAt: string | null };
  segments: SegmentInfo[];
  markers: { kind: string; label: string; at: number }[];
  gaps: { from: number; to: number; reason: string }[];
  /** Segments deleted after their retention. */
  expired: string[];
}

/**
 * Loads a case's recordings (by case id or 办件编号). This route answers its JSON bare (not the
 * `{ ok, data }` envelope), and its refusals in the usual `{ error }` shape, thrown as ApiError.
 */
export async function loadCaseRecordings(caseRef: string): Promise<CaseRecordings> {
  let res: Response;
  try {
    res = await fetch(`/api/cases/${encodeURIComponent(caseRef)}/recordings`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  } catch {
    throw new ApiError('NETWORK_ERROR', '网络连接失败，请检查网络后重试', 0);
  }
  const body = (await res.json().catch(() => undefined)) as (CaseRecordings & { error?: { code?: string; message?: string; details?: Record<string, unknown> } }) | undefined;
  if (res.ok && body && Array.isArray(body.segments)) return body;
  throw new ApiError(body?.error?.code ?? 'BAD_RESPONSE', body?.error?.message ?? `服务器响应异常（HTTP ${res.status}）`, res.status, body?.error?.details);
}

/** Where a segment's bytes are streamed from (Range requests by the media element). */
export const segmentUrl = (caseId: string, sha256: string): string => `/api/cases/${encodeURIComponent(caseId)}/recordings/${sha256}`;

/** When a segment's media time 0 is on the wall clock: its first packet (the recorder's clock), else its start. */
export const segmentStart = (s: SegmentInfo): number => s.firstPacketAt ?? s.startedAt;

/** Chinese names of the recorded sources. */
export const SOURCE_LABELS: Readonly<Record<string, string>> = {
  face: '申请人',
  document: '高拍仪',
  clerk_face: '工作人员',
  screen: '屏幕共享',
  mic: '申请人声音',
  clerk_mic: '工作人员声音',
};

/** The order tiles are shown in (the applicant first, large by default). */
export const SOURCE_ORDER: readonly string[] = ['face', 'document', 'clerk_face', 'screen', 'mic', 'clerk_mic'];
