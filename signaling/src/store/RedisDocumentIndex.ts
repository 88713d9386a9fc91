import type { DocumentIndex, DocumentPointer, DocumentRecord, DocumentState, IndexedDocument } from '@rvw/documents';
import type { RedisClient } from './redisClient.js';

// A number is claimed at most once. Single-key on purpose: it stays valid on Redis Cluster,
// where the record and the sha256 pointer live in different slots.
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

const FIELDS: ReadonlyArray<keyof DocumentRecord> = [
  'number', 'handle', 'sample', 'sha256', 'size', 'caseId', 'type', 'title', 'issuerRegion', 'issuerRegionName', 'issuerName',
  'signerSubject', 'issuedAt', 'issuedBy', 'applicantMasked', 'itemCode', 'itemName',
];

const recordKey = (number: string) => `doc:${number}`;
const shaKey = (sha256: string) => `doc:sha:${sha256}`;
const handleKey = (handle: string) => `doc:handle:${handle}`;

/**
 * The document index in Redis: `doc:{number}` hash (the record and its `state`; absent state =
 * issued, for older records), `doc:sha:{sha256}` and `doc:handle:{handle}` → number, and the
 * per-region, per-day counters `doc:seq:{region}:{yyyymmdd}`.
 */
export class RedisDocumentIndex implements DocumentIndex {
  constructor(private readonly redis: RedisClient) {}

  async nextSequence(regionCode: string, day: string): Promise<number> {
    const key = `doc:seq:${regionCode}:${day}`;
    const seq = await this.redis.incr(key);
    // The counter is only needed during its day; two days covers clock skew between nodes.
    if (seq === 1) await this.redis.expire(key, 2 * 86_400);
    return seq;
  }

  async create(record: DocumentRecord, state: 'reserved' | 'issued'): Promise<boolean> {
    const args = [...FIELDS.flatMap((field) => [field, String(record[field])]), 'state', state];
    const claim = () => this.redis.eval(CLAIM_SCRIPT, { keys: [recordKey(record.number)], arguments: args });
    if (state === 'reserved') return (await claim()) === 1;
    // Pointer first: a pointer to a number that was never claimed resolves to nothing, whereas a
    // record without its pointer would make the document unverifiable by upload. All go in one
    // pipeline (same tick, one connection: executed in order, one AOF fsync round).
    const [, , claimed] = await Promise.all([
      this.redis.set(shaKey(record.sha256), record.number),
      this.redis.set(handleKey(record.handle), record.number),
      claim(),
    ]);
    if (claimed === 1) return true;
    await this.redis.del([shaKey(record.sha256), handleKey(record.handle)]);
    return false;
  }

  async publish(record: Pick<DocumentRecord, 'number' | 'sha256' | 'handle'>): Promise<void> {
    // Pointers first, state last: until the state says issued, the pointers resolve to nothing.
    await Promise.all([this.redis.set(shaKey(record.sha256), record.number), this.redis.set(handleKey(record.handle), record.number)]);
    await this.redis.hSet(recordKey(record.number), 'state', 'issued');
  }

  async withdraw(number: string): Promise<void> {
    await this.redis.hSet(recordKey(number), 'state', 'withdrawn');
  }

  async get(number: string): Promise<IndexedDocument | undefined> {
    return toIndexed(await this.redis.hGetAll(recordKey(number)));
  }

  async numberOf(pointer: DocumentPointer): Promise<string | undefined> {
    const number = await this.redis.get('sha256' in pointer ? shaKey(pointer.sha256) : handleKey(pointer.handle));
    return number ?? undefined;
  }
}

function toIndexed(hash: Record<string, string>): IndexedDocument | undefined {
  if (!hash.number || !hash.sha256) return undefined;
  const state: DocumentState = hash.state === 'reserved' || hash.state === 'withdrawn' ? hash.state : hash.state === undefined || hash.state === 'issued' ? 'issued' : 'withdrawn';
  return {
    state,
    record: {
      number: hash.number,
      handle: hash.handle ?? '',
      sample: hash.sample === 'true',
      sha256: hash.sha256,
      size: Number(hash.size ?? 0),
      caseId: hash.caseId ?? '',
      type: (hash.type ?? 'receipt') as DocumentRecord['type'],
      title: hash.title ?? '',
      issuerRegion: hash.issuerRegion ?? '',
      issuerRegionName: hash.issuerRegionName ?? '',
      issuerName: hash.issuerName ?? '',
      signerSubject: hash.signerSubject ?? '',
      issuedAt: hash.issuedAt ?? '',
      issuedBy: hash.issuedBy ?? '',
      applicantMasked: hash.applicantMasked ?? '',
      itemCode: hash.itemCode ?? '',
      itemName: hash.itemName ?? '',
    },
  };
}
