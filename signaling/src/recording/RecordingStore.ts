import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
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

/** Which case each segment belongs to (HASH sha256 → case id), so that retention can say so in the case's chain. */
export const RECORDING_CASES_KEY = 'rvw:recordings:case';

/** The other nodes' copies (the cluster's NodeFiles): who holds a segment, and fetching one this node lacks. */
export interface RemoteRecordings {
  held(kind: 'recording', sha256: string): Promise<void>;
  dropped(kind: 'recording', sha256: string): Promise<void>;
  download(kind: 'recording', sha256: string, file: string): Promise<boolean>;
}

/** A segment deleted after its retention: which case it belonged to. */
export interface SweptSegment {
  sha256: string;
  caseId: string | undefined;
}

/**
 * Where a node keeps the segments it recorded: content-addressed files under
 * `<dataDir>/recordings/<sha256>.webm` (a segment is named by what it is, so its name is its
 * proof), and the list of each case's segments in Redis (the ids only: bytes never go there).
 */
export class RecordingStore {
  readonly #dir: string;
  readonly #redis: RedisClient;
  readonly #remote: RemoteRecordings | undefined;

  /**
   * With `remote` (a cluster), what this node records is announced, and a segment recorded by
   * another node (of the same region behind a load balancer, say) is fetched from it when someone
   * allowed plays or exports it here.
   */
  constructor(options: { dataDir: string; redis: RedisClient; remote?: RemoteRecordings }) {
    this.#dir = path.join(options.dataDir, 'recordings');
    this.#redis = options.redis;
    this.#remote = options.remote;
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
    await this.#redis.multi().rPush(caseRecordingsKey(caseId), JSON.stringify(record)).hSet(RECORDING_CASES_KEY, segment.sha256, caseId).exec();
    await this.#remote?.held('recording', segment.sha256);
    return record;
  }

  /**
   * True when the segment's file is here, fetched first from the node that holds it if it is not
   * (kept, dated like the original so that retention deletes both together). False when no node
   * holds it any more (deleted after its retention); FILE_UNAVAILABLE when its holder does not answer.
   */
  async ensureLocal(segment: Pick<RecordingSegmentRecord, 'sha256' | 'endedAt'>): Promise<boolean> {
    if (await this.has(segment.sha256)) return true;
    if (!this.#remote) return false;
    await mkdir(this.#dir, { recursive: true });
    const file = this.pathOf(segment.sha256);
    if (!(await this.#remote.download('recording', segment.sha256, file))) return false;
    const at = new Date(segment.endedAt);
    await utimes(file, at, at).catch(() => undefined);
    await this.#remote.held('recording', segment.sha256);
    return true;
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
   * Returns the segments deleted, with their cases.
   */
  async sweep(retentionDays: number, now = Date.now()): Promise<SweptSegment[]> {
    const cutoff = now - retentionDays * 86_400_000;
    const deleted: SweptSegment[] = [];
    for (const name of await readdir(this.#dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}\.webm$/.test(name)) continue;
      const file = path.join(this.#dir, name);
      const s = await stat(file).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) {
        const sha256 = name.slice(0, 64);
        await rm(file, { force: true });
        await this.#remote?.dropped('recording', sha256);
        deleted.push({ sha256, caseId: (await this.#redis.hGet(RECORDING_CASES_KEY, sha256)) ?? undefined });
      }
    }
    return deleted;
  }
}
