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
import type { RecordingSegmentRecord } from './RecordingStore.js';

/** A moment of the case worth seeking to on the playback timeline. */
export interface TimelineMarker {
  kind: 'accepted' | 'material' | 'waived' | 'document' | 'completed';
  /** Chinese label shown on the page. */
  label: string;
  /** Epoch ms. */
  at: number;
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

  router.get('/api/cases/:caseId/recordings', async (req, res) => {
    const { caseId } = parse(Params, req.params);
    const principal = await deps.resolvePrincipal(req);
    authorizeRecordingAccess(principal, caseFacts(await deps.cases.getCase(caseId)));
    await audit(principal, caseId);
    const [segments, { events }] = await Promise.all([deps.recordings.list(caseId), deps.cases.history(caseId)]);
    res.set('cache-control', 'no-store').json({ caseId, segments, markers: timelineMarkers(events) });
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
