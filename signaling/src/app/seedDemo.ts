import type { Principal } from '../auth/Principal.js';
import { ANY_REGION } from '../auth/policy.js';
import { CatalogStore } from '../catalog/CatalogStore.js';
import type { Region } from '@rvw/protocol/catalog';
import { seedDemoCatalog } from '../catalog/seedDemoCatalog.js';
import { AppError } from '../errors/AppError.js';
import { connectRedis } from '../store/redisClient.js';
import type { RegionalNode } from './RegionalNode.js';

/** The setup step acting as a provincial administrator: it only seeds what is absent. */
const SETUP_ACTOR: Principal = { kind: 'staff', role: 'admin', staffId: 'system-setup', name: '系统初始化', regionCodes: [ANY_REGION] };

/** Seeds the demo catalogue (idempotent) and returns every region, for the PKI step. */
export async function seedDemoCatalogAt(redisUrl: string): Promise<Region[]> {
  const redis = await connectRedis(redisUrl);
  try {
    const catalog = await CatalogStore.create({ redis });
    await seedDemoCatalog(catalog);
    return await catalog.list('region');
  } finally {
    await redis.quit();
  }
}

/**
 * After the node is up: the bootstrap invite for the first administrator (while none exists)
 * and device registrations of the demo counter terminals (the first start only), so a fresh
 * installation can be tried end to end at once.
 */
export async function seedDemo(node: Pick<RegionalNode, 'auth' | 'catalog'>): Promise<{ bootstrapUrl?: string; counterActivations: { label: string; url: string; regionCode: string }[] }> {
  const invite = await node.auth.ensureBootstrapInvite();
  const counterActivations: { label: string; url: string; regionCode: string }[] = [];
  const regions = new Map((await node.catalog.list('region')).map((r) => [r.code, r.name]));
  for (const counter of await node.catalog.list('counter')) {
    const hall = await node.catalog.get('hall', counter.hallId);
    if (!hall) continue;
    try {
      const reg = await node.auth.counters.registerCounter(SETUP_ACTOR, { counterId: counter.id, hallId: hall.id, regionCode: hall.regionCode, name: counter.name });
      counterActivations.push({ label: `${regions.get(hall.regionCode) ?? hall.regionCode} ${counter.name}`, url: reg.activationUrl, regionCode: hall.regionCode });
    } catch (e) {
      // Registered at an earlier start: an administrator re-issues activation from the admin page.
      if (!(e instanceof AppError && e.code === 'COUNTER_EXISTS')) throw e;
    }
  }
  return { ...(invite ? { bootstrapUrl: invite.url } : {}), counterActivations };
}
