import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';
import { CATALOG_KINDS, type CatalogEntities, type CatalogKind } from '@rvw/protocol/catalog';
import { parseInput } from './parseInput.js';
import { RedisScript } from './RedisScript.js';

// Every catalogue key shares the `{catalog}` hash tag, so the scripts below touch one slot even on
// Redis Cluster. Layout: `{catalog}:<kind>` hash id → JSON; `{catalog}:refs:<kind>:<id>` the
// entities this one references; `{catalog}:usedby:<kind>:<id>` the entities referencing this one.
const PREFIX = '{catalog}:';

// Writes an entity after checking, in the same atomic step, that it does not exist (insert) or does
// (replace) and that everything it references exists; then rewires the reference index.
const PUT = new RedisScript(`
local prefix, mode, self, id, json = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local exists = redis.call('HEXISTS', KEYS[1], id) == 1
if mode == 'insert' and exists then return {'DUPLICATE'} end
if mode == 'replace' and not exists then return {'NOT_FOUND'} end
for i = 6, #ARGV do
  local sep = string.find(ARGV[i], ':', 1, true)
  if redis.call('HEXISTS', prefix .. string.sub(ARGV[i], 1, sep - 1), string.sub(ARGV[i], sep + 1)) == 0 then
    return {'REF_MISSING', ARGV[i]}
  end
end
local refsKey = prefix .. 'refs:' .. self
for _, old in ipairs(redis.call('SMEMBERS', refsKey)) do redis.call('SREM', prefix .. 'usedby:' .. old, self) end
redis.call('DEL', refsKey)
for i = 6, #ARGV do
  redis.call('SADD', refsKey, ARGV[i])
  redis.call('SADD', prefix .. 'usedby:' .. ARGV[i], self)
end
redis.call('HSET', KEYS[1], id, json)
if exists then return {'OK', 'updated'} end
return {'OK', 'created'}
`);

// Deletes an entity unless something still references it.
const DELETE = new RedisScript(`
local prefix, self, id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', KEYS[1], id) == 0 then return {'NOT_FOUND'} end
local users = redis.call('SMEMBERS', prefix .. 'usedby:' .. self)
if #users > 0 then
  table.insert(users, 1, 'IN_USE')
  return users
end
local refsKey = prefix .. 'refs:' .. self
for _, old in ipairs(redis.call('SMEMBERS', refsKey)) do redis.call('SREM', prefix .. 'usedby:' .. old, self) end
redis.call('DEL', refsKey)
redis.call('HDEL', KEYS[1], id)
return {'OK'}
`);

type WriteMode = 'insert' | 'replace';

/**
 * The service catalogue on Redis: regions, halls, counters, service items and partnerships.
 * Every write is validated with the kind's schema and checked for referential integrity
 * atomically (a hall's region, a counter's hall, a partnership's regions and items must exist;
 * nothing referenced can be deleted).
 */
export class CatalogStore {
  readonly #redis: RedisClient;

  private constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  /** Creates a store over a connected client (the caller owns the client). */
  static async create(opts: { redis: RedisClient }): Promise<CatalogStore> {
    return new CatalogStore(opts.redis);
  }

  /** Adds a new entity; refuses CATALOG_DUPLICATE if its id exists, CATALOG_*_NOT_FOUND for a missing reference. */
  insert<K extends CatalogKind>(kind: K, value: unknown): Promise<CatalogEntities[K]> {
    return this.#put(kind, value, 'insert');
  }

  /** Replaces an existing entity; refuses CATALOG_*_NOT_FOUND if it (or a reference) does not exist. */
  replace<K extends CatalogKind>(kind: K, value: unknown): Promise<CatalogEntities[K]> {
    return this.#put(kind, value, 'replace');
  }

  /** The entity with this id, or undefined. */
  async get<K extends CatalogKind>(kind: K, id: string): Promise<CatalogEntities[K] | undefined> {
    const json = await this.#redis.hGet(PREFIX + kind, id);
    // Written only after schema validation by #put, so the stored JSON is trusted as-is.
    return json === null || json === undefined ? undefined : (JSON.parse(json) as CatalogEntities[K]);
  }

  /** The entity with this id; refuses CATALOG_<KIND>_NOT_FOUND (404) when absent. */
  async require<K extends CatalogKind>(kind: K, id: string): Promise<CatalogEntities[K]> {
    const entity = await this.get(kind, id);
    if (!entity) throw notFound(kind, id);
    return entity;
  }

  /** All entities of a kind, ordered by id. */
  async list<K extends CatalogKind>(kind: K): Promise<CatalogEntities[K][]> {
    const all = await this.#redis.hGetAll(PREFIX + kind);
    return Object.keys(all)
      .sort()
      .map((id) => JSON.parse(all[id] as string) as CatalogEntities[K]);
  }

  /** Deletes an entity; refuses CATALOG_*_NOT_FOUND, or CATALOG_IN_USE (409) with `details.usedBy` while referenced. */
  async remove(kind: CatalogKind, id: string): Promise<void> {
    const reply = (await DELETE.run(this.#redis, [PREFIX + kind], [PREFIX, `${kind}:${id}`, id])) as string[];
    if (reply[0] === 'NOT_FOUND') throw notFound(kind, id);
    if (reply[0] === 'IN_USE') {
      const usedBy = reply.slice(1).sort();
      throw new AppError('CATALOG_IN_USE', `${CATALOG_KINDS[kind].label} ${id} 仍被引用，请先修改或删除引用它的记录：${usedBy.join('、')}`, 409, { usedBy });
    }
  }

  /** Number of entities of each kind. */
  async counts(): Promise<Record<CatalogKind, number>> {
    const kinds = Object.keys(CATALOG_KINDS) as CatalogKind[];
    const lengths = await Promise.all(kinds.map((k) => this.#redis.hLen(PREFIX + k)));
    return Object.fromEntries(kinds.map((k, i) => [k, lengths[i]])) as Record<CatalogKind, number>;
  }

  async #put<K extends CatalogKind>(kind: K, value: unknown, mode: WriteMode): Promise<CatalogEntities[K]> {
    const spec = CATALOG_KINDS[kind];
    const entity = parseInput(spec.schema, value) as CatalogEntities[K];
    const id = (entity as unknown as Record<string, string>)[spec.idField] as string;
    const refs = referencesOf(kind, entity);
    const reply = (await PUT.run(this.#redis, [PREFIX + kind], [PREFIX, mode, `${kind}:${id}`, id, JSON.stringify(entity), ...refs])) as string[];
    switch (reply[0]) {
      case 'OK':
        return entity;
      case 'DUPLICATE':
        throw new AppError('CATALOG_DUPLICATE', `${spec.label} ${id} 已存在，如需修改请使用更新`, 409, { kind, id });
      case 'NOT_FOUND':
        throw notFound(kind, id);
      case 'REF_MISSING': {
        const [refKind, refId] = (reply[1] as string).split(':') as [CatalogKind, string];
        throw notFound(refKind, refId, `${spec.label} ${id} 引用的${CATALOG_KINDS[refKind].label} ${refId} 不存在，请先创建`);
      }
      default:
        throw new Error(`unexpected catalogue script reply ${String(reply[0])}`);
    }
  }
}

/** The `kind:id` references an entity holds; the script checks they exist and indexes them. */
function referencesOf<K extends CatalogKind>(kind: K, entity: CatalogEntities[K]): string[] {
  const e = entity as CatalogEntities[CatalogKind];
  switch (kind) {
    case 'hall':
      return [`region:${(e as CatalogEntities['hall']).regionCode}`];
    case 'counter':
      return [`hall:${(e as CatalogEntities['counter']).hallId}`];
    case 'partnership': {
      const p = e as CatalogEntities['partnership'];
      const items = new Set(p.offers.flatMap((o) => o.itemCodes));
      return [...p.regions.map((r) => `region:${r}`), ...[...items].map((c) => `item:${c}`)];
    }
    default:
      return [];
  }
}

function notFound(kind: CatalogKind, id: string, message?: string): AppError {
  const spec = CATALOG_KINDS[kind];
  return new AppError(spec.notFound, message ?? `${spec.label} ${id} 不存在`, 404, { kind, id });
}
