import { setTimeout as sleep } from 'node:timers/promises';
import { ARCHIVE_OUTBOX_KEY, type StoredCase } from '../cases/CaseStore.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';

/** The consumer group of every node's feeder on the outbox: each entry goes to one of them. */
export const ARCHIVE_GROUP = 'archive';
/** An entry another feeder took but did not acknowledge for this long is taken over (that node died). */
export const CLAIM_IDLE_MS = 30_000;

/** Options for {@link ArchiveFeeder.start}. */
export interface ArchiveFeederOptions {
  /** A connection of its own: it blocks on XREADGROUP. */
  redis: RedisClient;
  /** This node's name in the consumer group. */
  consumer: string;
  /** What Redis holds of a case now (CaseStore.snapshot). */
  snapshot(id: string): Promise<StoredCase | undefined>;
  /** Copies cases into the archive (CaseArchive.store). */
  store(cases: readonly StoredCase[]): Promise<void>;
  log: Logger;
  /** Entries read per round; default 200. */
  batch?: number;
  /** How long one read waits for new entries; default 1000 ms. */
  blockMs?: number;
  /** Entries another consumer left unacknowledged this long are taken over; default {@link CLAIM_IDLE_MS}. */
  claimIdleMs?: number;
  /** Called after every batch copied, with how many cases it held. */
  onCopied?: (cases: number) => void;
}

/**
 * Feeds the case archive from the outbox every case commit appends to (case id, version): reads
 * a batch as this node's consumer, copies each case's current record and audit entries, and only
 * then acknowledges and deletes the entries. A failure (PostgreSQL down) leaves them pending and
 * they are read again; a node that dies with entries taken has them claimed by another after
 * {@link CLAIM_IDLE_MS}. Nothing committed is lost: the outbox entry is written atomically with
 * the case change, and removed only after the archive holds that version or a newer one.
 *
 * Starting the feeder creates the outbox (and its group), which is what makes every writer of
 * this Redis append to it (see CaseStore's commit script).
 */
export class ArchiveFeeder {
  readonly #o: ArchiveFeederOptions;
  #running = true;
  #loop: Promise<void> = Promise.resolve();

  private constructor(o: ArchiveFeederOptions) {
    this.#o = o;
  }

  static async start(o: ArchiveFeederOptions): Promise<ArchiveFeeder> {
    try {
      // From the stream's start ('0'), so entries written before any group existed are fed too.
      await o.redis.xGroupCreate(ARCHIVE_OUTBOX_KEY, ARCHIVE_GROUP, '0', { MKSTREAM: true });
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
    const feeder = new ArchiveFeeder(o);
    feeder.#loop = feeder.#run();
    return feeder;
  }

  async close(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { redis, consumer, log } = this.#o;
    let failures = 0;
    // First what this consumer took before a restart ('0'), then the entries still pending with
    // a feeder that went silent, then new ones ('>').
    let own = true;
    while (this.#running) {
      try {
        let entries: { id: string; message: Record<string, string> }[] = [];
        if (own) {
          entries = await this.#read('0');
          if (entries.length === 0) own = false;
        }
        if (entries.length === 0) {
          const claimed = await redis.xAutoClaim(ARCHIVE_OUTBOX_KEY, ARCHIVE_GROUP, consumer, this.#o.claimIdleMs ?? CLAIM_IDLE_MS, '0-0', { COUNT: this.#o.batch ?? 200 });
          entries = claimed.messages.filter((m): m is { id: string; message: Record<string, string> } => m !== null);
        }
        if (entries.length === 0) entries = await this.#read('>');
        if (entries.length === 0) continue;
        await this.#copy(entries);
        failures = 0;
      } catch (e) {
        if (!this.#running) break;
        failures++;
        // Left pending: read again from this consumer's own list once the archive answers.
        own = true;
        if (failures === 1 || failures % 30 === 0) log.error({ err: (e as Error).message, failures }, 'archive feeder: copy failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  async #read(from: '0' | '>'): Promise<{ id: string; message: Record<string, string> }[]> {
    const { redis, consumer } = this.#o;
    const reply = await redis.xReadGroup(ARCHIVE_GROUP, consumer, { key: ARCHIVE_OUTBOX_KEY, id: from }, { COUNT: this.#o.batch ?? 200, ...(from === '>' ? { BLOCK: this.#o.blockMs ?? 1000 } : {}) });
    if (!reply) return [];
    return (reply as { messages: { id: string; message: Record<string, string> }[] }[]).flatMap((s) => s.messages);
  }

  async #copy(entries: { id: string; message: Record<string, string> }[]): Promise<void> {
    const { redis } = this.#o;
    // One copy per case, of what Redis holds now (at least the version the entry names); a case
    // no longer in Redis left it only after the archive held it, so there is nothing to copy.
    const ids = [...new Set(entries.map((e) => e.message.case).filter((id): id is string => typeof id === 'string' && id.length > 0))];
    const snapshots = (await Promise.all(ids.map((id) => this.#o.snapshot(id)))).filter((s): s is StoredCase => s !== undefined);
    await this.#o.store(snapshots);
    const entryIds = entries.map((e) => e.id);
    await redis.multi().xAck(ARCHIVE_OUTBOX_KEY, ARCHIVE_GROUP, entryIds).xDel(ARCHIVE_OUTBOX_KEY, entryIds).exec();
    this.#o.onCopied?.(snapshots.length);
  }
}

/** Outbox entries not yet copied (waiting, or taken and unacknowledged): the archive's lag, for /metrics. */
export function archiveBacklog(redis: RedisClient): Promise<number> {
  return redis.xLen(ARCHIVE_OUTBOX_KEY);
}

/**
 * Resolves once the outbox is empty: every change committed before the call is in the archive
 * (tests; an operator before a maintenance stop). `redis` must not be a feeder's own connection.
 */
export async function archiveCaughtUp(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await redis.xLen(ARCHIVE_OUTBOX_KEY)) > 0) {
    if (Date.now() > deadline) throw new Error('the archive did not catch up with the outbox in time');
    await sleep(20);
  }
}
