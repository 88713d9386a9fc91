import express, { type Router } from 'express';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { authorize, requireCounter } from '../auth/policy.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { describeServiceHours } from '../queue/describeServiceHours.js';
import { isWithinServiceHours } from '../queue/isWithinServiceHours.js';
import { recordingNotice } from '@rvw/protocol/recordingNotice';

/**
 * What a counter terminal may offer its applicants: `GET /api/counter/offers` lists the active
 * partnerships in which the counter's region is the applicant side, with the items the partner
 * region serves for it (name, time limits, required materials), and the partnership's service
 * hours with whether it is open now by the server's clock — so the applicant learns it before
 * typing anything; when calls are recorded, the notice the applicant must agree to first (its
 * wording, version and the retention); and where the terminal's ID-card reader answers, if it has
 * one (人证核验). Offers are ordered by region code and items by item code: the same every load.
 */
export function createCounterRouter(deps: {
  catalog: CatalogStore;
  resolvePrincipal: ResolvePrincipal;
  clock?: () => Date;
  /** When false (demo/test nodes), cases are accepted at any hour, so the counter says open. */
  enforceServiceHours?: boolean;
  /** Calls are recorded and kept this long (config.recording); absent: no notice. */
  recording?: { retentionDays: number };
  /** The terminals' ID-card reader service (人证核验), told to the page; undefined: none. */
  idCardReaderUrl?: string | undefined;
}): Router {
  const router = express.Router();
  router.get('/api/counter/offers', async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    requireCounter(principal, 'counter.offers');
    authorize(principal, 'catalog.read', { regionCode: principal.regionCode });
    const [partnerships, items, regions, hall] = await Promise.all([
      deps.catalog.list('partnership'),
      deps.catalog.list('item'),
      deps.catalog.list('region'),
      deps.catalog.get('hall', principal.hallId),
    ]);
    const itemByCode = new Map(items.map((i) => [i.code, i]));
    const regionName = new Map(regions.map((r) => [r.code, r.name]));
    const now = (deps.clock ?? (() => new Date()))();
    const offers = partnerships
      .filter((p) => p.active)
      .flatMap((p) =>
        p.offers
          .filter((o) => o.applicantRegion === principal.regionCode)
          .map((o) => ({
            partnershipId: p.id,
            servingRegion: { code: o.servingRegion, name: regionName.get(o.servingRegion) ?? o.servingRegion },
            recordingNotice: deps.recording ? recordingNotice({ servingRegionName: regionName.get(o.servingRegion) ?? o.servingRegion, retentionDays: deps.recording.retentionDays }) : null,
            serviceHours: {
              ...p.serviceHours,
              text: describeServiceHours(p.serviceHours),
              openNow: deps.enforceServiceHours === false || isWithinServiceHours(p.serviceHours, now),
            },
            items: [...o.itemCodes]
              .sort()
              .map((c) => itemByCode.get(c))
              .filter((i) => i !== undefined)
              .map((i) => ({ code: i.code, name: i.name, promisedDays: i.promisedDays, statutoryDays: i.statutoryDays, legalBasis: i.legalBasis, materials: i.materials })),
          })),
      )
      .sort((a, b) => a.servingRegion.code.localeCompare(b.servingRegion.code) || a.partnershipId.localeCompare(b.partnershipId));
    res.json({ ok: true, data: { counter: { id: principal.counterId, name: principal.name, hallName: hall?.name ?? '' }, offers, idCardReaderUrl: deps.idCardReaderUrl ?? null } });
  });
  return router;
}
