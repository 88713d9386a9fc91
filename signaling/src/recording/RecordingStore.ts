import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RecordedSegment, RecordedSource, SegmentEndReason } from '@rvw/sfu/recording/index';
import type { RedisClient } from '../store/redisClient.js';

/** A recorded segment of a case, as kept in Redis beside the case (the file lives on `nodeId`). */
export interface RecordingSegmentRecord {
  sha256: string;
  bytes: number;
  source: RecordedSource;
  kind: 'audio' | 'video';
  codec: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  firstPacketAt: number | null;
  reason: SegmentEndReason;
  nodeId: string;
  producerId: string;
}

/** The case's segments, oldest first (RPUSH). */
export const caseRecordingsKey = (caseId: string): string => `rvw:case:${caseId}:recordings`;

/**
 * Where a node keeps the segments it recorded: content-addressed files under
 * `<dataDir>/recordings/<sha256>.webm` (a segment is named by what it is, so its name is its
 * proof), and the list of each case's segments in Redis (the ids only: bytes never go there).
 */
export class RecordingStore {
  readonly #dir: string;
  readonly #redis: RedisClient;

  constructor(options: { dataDir: string; redis: RedisClient }) {
    this.#dir = path.join(options.dataDir, 'recordings');
    this.#redis = options.redis;
  }

  /** Where recorders write segments that are still open. */
  get liveDir(): string {
    return path.join(this.#dir, 'live');
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('not a sha256');
    return path.join(this.#dir, `${sha256}.webm`);
  }

  /** Keeps a closed segment: the file moves under its hash, the case lists it. */
  async add(caseId: string, segment: RecordedSegment, nodeId: string): Promise<RecordingSegmentRecord> {
    const track = segment.tracks[0];
    if (!track) throw new Error('a segment without a track');
    await mkdir(this.#dir, { recursive: true });
    await rename(segment.file, this.pathOf(segment.sha256));
    const record: RecordingSegmentRecord = {
      sha256: segment.sha256,
      bytes: segment.bytes,
      source: track.source,
      kind: track.kind,
      codec: track.codec,
      startedAt: segment.startedAt,
      endedAt: segment.endedAt,
      firstPacketAt: track.firstPacketAt,
      reason: segment.reason,
      nodeId,
      producerId: track.producerId,
    };
    await this.#redis.rPush(caseRecordingsKey(caseId), JSON.stringify(record));
    return record;
  }

  /** The case's segments, oldest first. */
  async list(caseId: string): Promise<RecordingSegmentRecord[]> {
    return (await this.#redis.lRange(caseRecordingsKey(caseId), 0, -1)).map((r) => JSON.parse(r) as RecordingSegmentRecord);
  }

  /** True when the segment's file is on this node. */
  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(() => true, () => false);
  }

  /** The segment's bytes, streamed. */
  readStream(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256));
  }

  /**
   * Deletes segment files older than the retention (days). The audit chain keeps their hashes,
   * so that they existed and what they were stays provable; the case's list keeps them too.
   * Returns the hashes deleted.
   */
  async sweep(retentionDays: number, now = Date.now()): Promise<string[]> {
    const cutoff = now - retentionDays * 86_400_000;
    const deleted: string[] = [];
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}\.webm$/.test(name)) continue;
      const file = path.join(this.#dir, name);
      const s = await stat(file).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) {
        await rm(file, { force: true });
        deleted.push(name.slice(0, 64));
      }
    }
    return deleted;
  }
}
