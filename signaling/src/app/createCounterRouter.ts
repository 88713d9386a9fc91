import express, { type Router } from 'express';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver';
import { authorize } from '../auth/policy';
import type { CatalogStore } from '../catalog/CatalogStore';
import { AppError } from '../errors/AppError';

/**
 * What a counter terminal may offer its applicants: `GET /api/counter/offers` lists the active
 * partnerships in which the counter's region is the applicant side, with the items the partner
 * region serves for it (name, time limits, required materials).
 */
export function createCounterRouter(deps: { catalog: CatalogStore; resolvePrincipal: ResolvePrincipal }): Router {
  const router = express.Router();
  router.get('/api/counter/offers', async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    if (principal.kind !== 'counter') throw new AppError(principal.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN', '此页面仅供已登记的跨域通办窗口终端使用', principal.kind === 'anonymous' ? 401 : 403);
    authorize(principal, 'catalog.read', { regionCode: principal.regionCode });
    const [partnerships, items, regions, hall] = await Promise.all([
      deps.catalog.list('partnership'),
      deps.catalog.list('item'),
      deps.catalog.list('region'),
      deps.catalog.get('hall', principal.hallId),
    ]);
    const itemByCode = new Map(items.map((i) => [i.code, i]));
    const regionName = new Map(regions.map((r) => [r.code, r.name]));
    const offers = partnerships
      .filter((p) => p.active)
      .flatMap((p) =>
        p.offers
          .filter((o) => o.applicantRegion === principal.regionCode)
          .map((o) => ({
            partnershipId: p.id,
            servingRegion: { code: o.servingRegion, name: regionName.get(o.servingRegion) ?? o.servingRegion },
            serviceHours: p.serviceHours,
            items: o.itemCodes
              .map((c) => itemByCode.get(c))
              .filter((i) => i !== undefined)
              .map((i) => ({ code: i.code, name: i.name, promisedDays: i.promisedDays, statutoryDays: i.statutoryDays, legalBasis: i.legalBasis, materials: i.materials })),
          })),
      );
    res.json({ ok: true, data: { counter: { id: principal.counterId, name: principal.name, hallName: hall?.name ?? '' }, offers } });
  });
  return router;
}
