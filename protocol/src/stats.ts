import { z } from 'zod';
import { STATS_MAX_DAYS, type StatsDimension } from './vocabulary.js';

// The plain constants live in vocabulary.ts (no zod), so pages import them without the schemas.
export { DURATION_BUCKETS_S, RATING_LEVEL_LABELS, STATS_DIMENSION_LABELS, STATS_DIMENSIONS, STATS_MAX_DAYS, type StatsDimension } from './vocabulary.js';

// Service statistics (办件统计、好差评) as the administrator's pages, the node and the tests see
// them. Figures are kept up to date with every case change (signaling/src/stats); these are the
// shapes the HTTP API answers with.

/** A calendar day in Asia/Shanghai, `YYYY-MM-DD`. */
const Day = z.iso.date();


/** `GET /api/admin/stats` query: a date range (both ends included) and optional filters. */
export const StatsQueryInput = z
  .strictObject({
    from: Day,
    to: Day,
    partnershipId: z.string().min(1).max(64).optional(),
    itemCode: z.string().min(1).max(64).optional(),
    hallId: z.string().min(1).max(64).optional(),
    counterId: z.string().min(1).max(64).optional(),
    clerkId: z.string().min(1).max(64).optional(),
  })
  .refine((q) => q.from <= q.to, { message: '开始日期不能晚于结束日期', path: ['from'] })
  .refine((q) => [q.itemCode, q.hallId, q.counterId, q.clerkId].filter((x) => x !== undefined).length <= 1, {
    message: '一次只能按事项、大厅、窗口或受理人员中的一项筛选',
    path: ['itemCode'],
  })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < STATS_MAX_DAYS, { message: `查询范围不能超过 ${STATS_MAX_DAYS} 天`, path: ['to'] });
/** A statistics query. */
export type StatsQueryInput = z.infer<typeof StatsQueryInput>;


/** The figures of one slice of cases (a whole range, a day, a partnership, a clerk …). */
export interface StatsFigures {
  /** Cases opened (queued at a counter) in the range. */
  opened: number;
  /** Cases accepted (受理) by a clerk in the range. */
  accepted: number;
  /** Cases completed (办结), rejected (不予受理) and abandoned (离开队列) in the range. */
  completed: number;
  rejected: number;
  abandoned: number;
  /** Mean wait from queueing to 受理 (s, rounded) of the cases accepted in the range; null without any. */
  waitMeanS: number | null;
  /**
   * The same as bucket upper bounds (s) at p50 and p90: null without cases, -1 beyond the last
   * bucket; kept for whole partnerships only, so null in breakdown rows and filtered views.
   */
  waitP50S: number | null;
  waitP90S: number | null;
  /** Handling time from 受理 to 办结/不予受理, of the cases closed in the range: mean (s, rounded) and bucketed p50 (whole partnerships only). */
  handlingMeanS: number | null;
  handlingP50S: number | null;
  /** Ratings given in the range, by level 1 (非常不满意) … 5 (非常满意): index 0 is level 1. */
  ratings: { clerk: number[]; counter: number[] };
  /** Ratings at level 1 or 2 (差评) in the range, both targets. */
  poor: number;
}

/** One row of a breakdown: a key of the dimension, its label and its figures. */
export interface StatsRow {
  key: string;
  label: string;
  figures: StatsFigures;
}

/** A 差评 (a rating at level 1 or 2) and what was done about it (整改). */
export interface PoorRating {
  caseId: string;
  caseNumber: string | null;
  itemName: string;
  /** Which side was rated: the remote clerk or the local counter. */
  target: 'clerk' | 'counter';
  /** 评价对象: the clerk's name or the counter's name. */
  subject: string;
  score: number;
  comment: string | null;
  at: string;
  followUp: { text: string; by: string; at: string } | null;
}

/** The answer to a statistics query. */
export interface StatsReport {
  from: string;
  to: string;
  /** The partnerships the figures cover (the requester's, filtered). */
  partnershipIds: string[];
  totals: StatsFigures;
  byDay: { day: string; figures: StatsFigures }[];
  by: Record<StatsDimension, StatsRow[]>;
  /** 容缺 materials still to be supplied now, and how many of them are past their deadline. */
  waivers: { outstanding: number; overdue: number };
  /** 差评 given in the range, newest first. */
  poorRatings: PoorRating[];
}

/** The service right now (`GET /api/admin/stats/live`). */
export interface LiveStats {
  at: string;
  queues: { partnershipId: string; servingRegion: string; itemCode: string; itemName: string; waiting: number; longestWaitS: number }[];
  /** Clerks of the requester's serving regions watching their queues, how many hold a case, how many are paused (示忙). */
  clerks: { online: number; busy: number; paused: number };
}

/** `POST /api/admin/stats/poor/:caseId/follow-up`: what was done about a 差评 (整改情况). */
export const PoorRatingFollowUpInput = z.strictObject({
  target: z.enum(['clerk', 'counter']),
  text: z.string().trim().min(2, '请填写整改情况').max(1000, '整改情况不能超过 1000 字'),
});
/** A 整改 record. */
export type PoorRatingFollowUpInput = z.infer<typeof PoorRatingFollowUpInput>;
