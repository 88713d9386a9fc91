import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';
import type { Clock } from './Clock.js';
import { hashToken } from './hashToken.js';
import { authorize, can, requireAdmin } from './policy.js';
import type { Principal } from './Principal.js';
import { randomToken } from './randomToken.js';
import type { RevocationBus } from './RevocationBus.js';
import type { CounterRecord, RegisteredCounter } from '@rvw/protocol/admin';
export type { CounterRecord, RegisteredCounter };


/** A hall as the catalogue knows it (the catalogue engineer owns halls). */
export interface Hall {
  id: string;
  regionCode: string;
  name: string;
}

/** Looks a hall up by id (injected from the catalogue). */
export type GetHall = (hallId: string) => Promise<Hall | undefined>;



/** Outcome of resolving a device cookie. */
export type DeviceLookup = { ok: true; counter: CounterRecord } | { ok: false; reason: 'AUTH_DEVICE_INVALID' | 'AUTH_COUNTER_REVOKED' };

// Creates the counter record, its listing entry and the pending activation atomically, unless the id is taken.
const REGISTER_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for k, v in pairs(cjson.decode(ARGV[1])) do redis.call('HSET', KEYS[1], k, v) end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * Registered counter terminals, each bound to one hall. An admin of the hall's region registers
 * one and gets a device secret plus a one-time activation link; activation mints a device token
 * (cookie `rvw_dev`, only its hash in `auth:device:*`). Revocation is immediate.
 */
export class CounterRegistry {
  private constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly getHall: GetHall,
    private readonly revocations: RevocationBus,
    private readonly publicOrigin: string,
    private readonly activationMs: number,
    private readonly deviceMs: number,
  ) {}

  /** Creates the registry. */
  static async create(opts: {
    redis: RedisClient;
    clock: Clock;
    getHall: GetHall;
    revocations: RevocationBus;
    publicOrigin: string;
    activationMs: number;
    deviceMs: number;
  }): Promise<CounterRegistry> {
    return new CounterRegistry(opts.redis, opts.clock, opts.getHall, opts.revocations, opts.publicOrigin.replace(/\/$/, ''), opts.activationMs, opts.deviceMs);
  }

  /** Lifetime of a device token / cookie. */
  get deviceLifetimeMs(): number {
    return this.deviceMs;
  }

  /** Registers a counter in hall `hallId` on behalf of `actor` (admin managing the hall's region). */
  async registerCounter(
    actor: Principal,
    input: { counterId: string; hallId: string; regionCode: string; name: string },
  ): Promise<RegisteredCounter> {
    requireAdmin(actor);
    authorize(actor, 'counter.register', { regionCode: input.regionCode });
    const hall = await this.getHall(input.hallId);
    if (!hall) throw new AppError('HALL_NOT_FOUND', '未找到该服务大厅 (hall not found)', 404);
    if (hall.regionCode !== input.regionCode) {
      throw new AppError('COUNTER_HALL_REGION_MISMATCH', '大厅不属于所填地区 (hall belongs to another region)', 400);
    }
    const deviceSecret = randomToken();
    const activationToken = randomToken();
    const now = this.clock.now();
    const counter: CounterRecord = {
      counterId: input.counterId,
      hallId: hall.id,
      regionCode: hall.regionCode,
      name: input.name,
      revoked: false,
      createdAt: now,
      createdBy: actor.staffId,
    };
    const activationHash = hashToken(activationToken);
    const created = await this.redis.eval(REGISTER_SCRIPT, {
      keys: [authKeys.counter(input.counterId), authKeys.counterIds(), authKeys.activation(activationHash)],
      arguments: [
        JSON.stringify({
          counterId: counter.counterId,
          hallId: counter.hallId,
          regionCode: counter.regionCode,
          name: counter.name,
          revoked: '0',
          createdAt: String(now),
          createdBy: counter.createdBy,
          secretHash: hashToken(deviceSecret),
          activationHash,
        }),
        input.counterId,
        String(this.activationMs),
      ],
    });
    if (Number(created) !== 1) throw new AppError('COUNTER_EXISTS', '该窗口编号已存在 (counter id already registered)', 409);
    return {
      counter,
      deviceSecret,
      activationUrl: `${this.publicOrigin}/counter.html#activate=${activationToken}`,
      activationExpiresAt: now + this.activationMs,
    };
  }

  /** Counters in the regions `actor` manages. */
  async listCounters(actor: Principal): Promise<CounterRecord[]> {
    requireAdmin(actor);
    const ids = await this.redis.sMembers(authKeys.counterIds());
    const rows = await Promise.all(ids.map((id) => this.get(id)));
    return rows
      .filter((c): c is CounterRecord => c !== undefined && can(actor, 'counter.list', { regionCode: c.regionCode }))
      .sort((a, b) => a.counterId.localeCompare(b.counterId));
  }

  /** Revokes a counter at once: device tokens deleted, pending activation voided, `auth:revoked` published. */
  async revokeCounter(actor: Principal, counterId: string): Promise<CounterRecord> {
    requireAdmin(actor);
    const counter = await this.get(counterId);
    if (!counter) throw new AppError('COUNTER_NOT_FOUND', '未找到该窗口终端 (counter not found)', 404);
    authorize(actor, 'counter.revoke', { regionCode: counter.regionCode });
    const now = this.clock.now();
    const key = authKeys.counter(counterId);
    const activationHash = await this.redis.hGet(key, 'activationHash');
    await this.redis.hSet(key, { revoked: '1', revokedAt: String(now) });
    const devices = await this.redis.sMembers(authKeys.counterDevices(counterId));
    const tx = this.redis.multi().del(authKeys.counterDevices(counterId));
    if (devices.length > 0) tx.del(devices.map((d) => authKeys.device(d)));
    if (activationHash) tx.del(authKeys.activation(String(activationHash)));
    await tx.exec();
    await this.revocations.publish({ kind: 'counter', counterId, reason: 'counter.revoked' });
    return { ...counter, revoked: true, revokedAt: now };
  }

  /**
   * Activates a terminal, either with the one-time activation token from the link or with the
   * counter id + device secret; returns a fresh device token for the `rvw_dev` cookie.
   */
  async activate(input: { token: string } | { counterId: string; deviceSecret: string }): Promise<{ deviceToken: string; counter: CounterRecord }> {
    let counterId: string | undefined;
    if ('token' in input) {
      const id = await this.redis.getDel(authKeys.activation(hashToken(input.token)));
      counterId = id ? String(id) : undefined;
    } else {
      const stored = await this.redis.hGet(authKeys.counter(input.counterId), 'secretHash');
      if (stored && safeEqual(String(stored), hashToken(input.deviceSecret))) counterId = input.counterId;
    }
    const counter = counterId ? await this.get(counterId) : undefined;
    if (!counter || counter.revoked) {
      throw new AppError('AUTH_ACTIVATION_INVALID', '激活链接或设备密钥无效、已使用或已过期 (activation invalid)', 400);
    }
    const deviceToken = randomToken();
    const deviceHash = hashToken(deviceToken);
    const now = this.clock.now();
    const key = authKeys.counter(counter.counterId);
    const tx = this.redis
      .multi()
      .set(authKeys.device(deviceHash), counter.counterId, { expiration: { type: 'PX', value: this.deviceMs } })
      .sAdd(authKeys.counterDevices(counter.counterId), deviceHash)
      .hSet(key, 'activatedAt', String(now));
    if ('token' in input) tx.hDel(key, 'activationHash');
    await tx.exec();
    return { deviceToken, counter: { ...counter, activatedAt: now } };
  }

  /** Resolves a device token (the `rvw_dev` cookie) to its live counter. */
  async resolveDevice(deviceToken: string): Promise<DeviceLookup> {
    const id = await this.redis.get(authKeys.device(hashToken(deviceToken)));
    if (!id) return { ok: false, reason: 'AUTH_DEVICE_INVALID' };
    const counter = await this.get(String(id));
    if (!counter) return { ok: false, reason: 'AUTH_DEVICE_INVALID' };
    if (counter.revoked) return { ok: false, reason: 'AUTH_COUNTER_REVOKED' };
    return { ok: true, counter };
  }

  /** One counter record, or undefined. */
  async get(counterId: string): Promise<CounterRecord | undefined> {
    const h = await this.redis.hGetAll(authKeys.counter(counterId));
    if (!h.counterId || !h.hallId || !h.regionCode) return undefined;
    return {
      counterId: h.counterId,
      hallId: h.hallId,
      regionCode: h.regionCode,
      name: h.name ?? '',
      revoked: h.revoked === '1',
      createdAt: Number(h.createdAt ?? 0),
      createdBy: h.createdBy ?? '',
      ...(h.revokedAt ? { revokedAt: Number(h.revokedAt) } : {}),
      ...(h.activatedAt ? { activatedAt: Number(h.activatedAt) } : {}),
    };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
