import express, { type ErrorRequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { AuditEvent } from '../audit/AuditEvent.js';
import { actorOf } from '../audit/actorOf.js';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { authorizeRecordingAccess } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { respondWithError } from '../auth/respondWithError.js';
import { caseFacts } from '../cases/caseFacts.js';
import { AppError } from '../errors/AppError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { RECORDING_CASES_KEY, type RecordingSegmentRecord } from './RecordingStore.js';

/** A moment of the case worth seeking to on the playback timeline. */
export interface TimelineMarker {
  kind: 'accepted' | 'material' | 'waived' | 'document' | 'completed';
  /** Chinese label shown on the page. */
  label: string;
  /** Epoch ms. */
  at: number;
}

/** A stretch of the call that was not recorded (`recording.gap`: a worker died, say). Epoch ms. */
export interface RecordingGap {
  from: number;
  to: number;
  reason: string;
}

/** What the playback page shows about the case beside its recording. */
export interface RecordedCaseSummary {
  id: string;
  number: string | null;
  itemName: string;
  state: CaseRecord['state'];
  servingRegion: string;
  createdAt: string;
  acceptedAt: string | null;
  closedAt: string | null;
}

/** Dependencies of {@link createRecordingRouter}. */
export interface RecordingRouterDeps {
  resolvePrincipal: ResolvePrincipal;
  cases: {
    getCase(caseId: string): Promise<CaseRecord>;
    history(caseId: string): Promise<{ record: CaseRecord; events: AuditEvent[] }>;
    recordRecordingView(principal: Principal, caseId: string, sha256?: string): Promise<CaseRecord>;
  };
  recordings: {
    list(caseId: string): Promise<RecordingSegmentRecord[]>;
    pathOf(sha256: string): string;
    /** Here, or fetched first from the node that recorded it; false when deleted after its retention. */
    ensureLocal(segment: RecordingSegmentRecord): Promise<boolean>;
  };
  /** Keeps the "already audited" marks (one `recording.viewed` per viewer per target per window). */
  redis: RedisClient;
  log: Logger;
  /** How long one audited view covers further Range requests of the same viewer (s); default 600. */
  viewWindowSeconds?: number;
}

const Params = z.object({ caseId: z.string().min(1).max(128) });
const CASE_NUMBER = /^\d{6}-\d{8}-\d{4,}$/;
/** Case number → id, filled as numbers are looked up (a number never changes its case). */
const NUMBER_INDEX_KEY = 'rvw:recordings:case-number';
const SegmentParams = Params.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/) });

const MARKERS: Record<string, Pick<TimelineMarker, 'kind' | 'label'>> = {
  'case.accepted': { kind: 'accepted', label: '受理' },
  'material.captured': { kind: 'material', label: '拍照/材料' },
  'material.waived': { kind: 'waived', label: '容缺' },
  'document.attached': { kind: 'document', label: '出具文书' },
  'case.completed': { kind: 'completed', label: '办结' },
};

/** The case's timeline markers, from its audit chain. */
export function timelineMarkers(events: readonly AuditEvent[]): TimelineMarker[] {
  return events.flatMap((e) => {
    const m = MARKERS[e.action];
    return m ? [{ ...m, at: Date.parse(e.at) }] : [];
  });
}

/** The stretches not recorded, and the segments deleted after their retention, from the audit chain. */
export function recordingLosses(events: readonly AuditEvent[]): { gaps: RecordingGap[]; expired: string[] } {
  const gaps = events.filter((e) => e.action === 'recording.gap').map((e) => ({ from: Number(e.data.from), to: Number(e.data.to), reason: String(e.data.reason ?? '') }));
  const expired = events.filter((e) => e.action === 'recording.expired').map((e) => String(e.data.sha256));
  return { gaps: gaps.filter((g) => Number.isFinite(g.from) && Number.isFinite(g.to)), expired };
}

function summaryOf(record: CaseRecord): RecordedCaseSummary {
  return {
    id: record.id,
    number: record.number ?? null,
    itemName: record.itemName,
    state: record.state,
    servingRegion: record.servingRegion,
    createdAt: record.createdAt,
    acceptedAt: record.acceptedAt ?? null,
    closedAt: record.closedAt ?? null,
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('VALIDATION_FAILED', '录像地址不正确', 400, { issues: r.error.issues.map((i) => i.path.join('.')) });
  return r.data;
}

/**
 * `GET /api/cases/:caseId/recordings` (the segments and the timeline markers) and
 * `GET /api/cases/:caseId/recordings/:sha256` (one segment's WebM, with Range for a video
 * element), for the serving region's administrators and the handling clerk only
 * (policy.authorizeRecordingAccess). Every access is in the case's audit chain as
 * `recording.viewed`; a player's many Range requests count once per viewer and target per window.
 */
export function createRecordingRouter(deps: RecordingRouterDeps): Router {
  const router = express.Router();
  const windowSeconds = deps.viewWindowSeconds ?? 600;

  const audit = async (principal: Principal, caseId: string, sha256?: string): Promise<void> => {
    const actor = actorOf(principal);
    const key = `rvw:case:${caseId}:recording-viewed:${actor.role}:${actor.id}:${sha256 ?? 'list'}`;
    if ((await deps.redis.set(key, '1', { NX: true, EX: windowSeconds })) !== 'OK') return;
    try {
      await deps.cases.recordRecordingView(principal, caseId, sha256);
    } catch (e) {
      // Not in the chain: the next request must try again.
      await deps.redis.del(key);
      throw e;
    }
  };

  // A case number (办件编号, what an administrator types) names a recorded case too. There is no
  // number index of all cases: the recorded cases (RECORDING_CASES_KEY) are looked through once
  // and every number seen is remembered, so later look-ups are one HGET.
  const caseIdOf = async (param: string): Promise<string> => {
    if (!CASE_NUMBER.test(param)) return param;
    const known = await deps.redis.hGet(NUMBER_INDEX_KEY, param);
    if (known) return known;
    for (const id of new Set(await deps.redis.hVals(RECORDING_CASES_KEY))) {
      const record = await deps.cases.getCase(id).catch(() => undefined);
      if (!record?.number) continue;
      await deps.redis.hSet(NUMBER_INDEX_KEY, record.number, id);
      if (record.number === param) return id;
    }
    throw new AppError('NOT_FOUND', `没有找到办件编号为 ${param} 的录像`, 404, { caseNumber: param });
  };

  router.get('/api/cases/:caseId/recordings', async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    const caseId = await caseIdOf(parse(Params, req.params).caseId);
    const record = await deps.cases.getCase(caseId);
    authorizeRecordingAccess(principal, caseFacts(record));
    await audit(principal, caseId);
    const [segments, { events }] = await Promise.all([deps.recordings.list(caseId), deps.cases.history(caseId)]);
    res.set('cache-control', 'no-store').json({ caseId, case: summaryOf(record), segments, markers: timelineMarkers(events), ...recordingLosses(events) });
  });

  router.get('/api/cases/:caseId/recordings/:sha256', async (req, res, next) => {
    const { caseId, sha256 } = parse(SegmentParams, req.params);
    const principal = await deps.resolvePrincipal(req);
    authorizeRecordingAccess(principal, caseFacts(await deps.cases.getCase(caseId)));
    const segment = (await deps.recordings.list(caseId)).find((s) => s.sha256 === sha256);
    if (!segment) throw new AppError('NOT_FOUND', '此办件没有这段录像', 404, { caseId, sha256 });
    if (!(await deps.recordings.ensureLocal(segment))) throw new AppError('NOT_FOUND', '这段录像已超过保存期限，已删除', 404, { caseId, sha256 });
    await audit(principal, caseId, sha256);
    // send handles Range (206, Content-Range, 416) for the video element's seeks.
    res.sendFile(deps.recordings.pathOf(sha256), {
      headers: { 'content-type': `${segment.kind}/webm`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      cacheControl: false,
      lastModified: false,
      etag: false,
    }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'recording access failed');
    respondWithError(res, e);
  };
  router.use('/api/cases/:caseId/recordings', onError);
  return router;
}
