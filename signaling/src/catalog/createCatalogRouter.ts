import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { respondWithError } from '../auth/respondWithError.js';
import { AppError } from '../errors/AppError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { CatalogStore } from './CatalogStore.js';
import { CATALOG_KINDS, type CatalogEntities, type CatalogKind } from '@rvw/protocol/catalog';
import { parseInput } from './parseInput.js';

/**
 * Decides whether the request comes from an administrator who manages every one of `regionCodes`
 * (an empty list: any signed-in administrator); throws AppError UNAUTHENTICATED or FORBIDDEN.
 * Supplied by the auth layer.
 */
export type AuthorizeAdmin = (req: Request, regionCodes: string[]) => void | Promise<void>;

/**
 * Which regions' halls and counters the requesting administrator may list: a predicate over a
 * region code (the policy's answer for this principal). Supplied by the auth layer.
 */
export type AdminSees = (req: Request) => Promise<(regionCode: string) => boolean>;

const PATHS: Record<CatalogKind, string> = {
  region: 'regions',
  hall: 'halls',
  counter: 'counters',
  item: 'items',
  partnership: 'partnerships',
};

/**
 * The admin catalogue API: `GET|POST /api/admin/{regions,halls,counters,items,partnerships}` and
 * `GET|PUT|DELETE /api/admin/<kind>/:id`. Answers `{ok:true,data}` or `{ok:false,error:{code,message}}`.
 * A change is authorized for the regions it touches (a partnership: both regions; a service item:
 * every region serving it in a partnership, so one region cannot rewrite what another serves —
 * an item nobody serves yet, national standard data, any administrator). Lists of halls and
 * counters show the requesting administrator's regions only. Mount with `app.use(router)`.
 */
export function createCatalogRouter(opts: { catalog: CatalogStore; authorizeAdmin: AuthorizeAdmin; adminSees: AdminSees; log?: Logger }): Router {
  const { catalog, authorizeAdmin, adminSees } = opts;
  const log = opts.log ?? silentLogger();
  const router = express.Router();
  // Only our own paths: other admin routers mounted beside this one keep their own body limits and errors.
  const paths = Object.values(PATHS).map((p) => `/api/admin/${p}`);
  router.use(
    paths,
    // Every catalogue route needs a signed-in administrator before anything else, the body included, is looked at.
    async (req, _res, next) => {
      await authorizeAdmin(req, []);
      next();
    },
    express.json({ limit: '256kb' }),
  );

  for (const kind of Object.keys(PATHS) as CatalogKind[]) {
    const base = `/api/admin/${PATHS[kind]}`;
    const idField = CATALOG_KINDS[kind].idField;

    router.get(base, async (req, res) => {
      const all = await catalog.list(kind);
      if (kind !== 'hall' && kind !== 'counter') {
        res.json({ ok: true, data: all });
        return;
      }
      // Halls and counters of other regions are none of this administrator's business.
      const sees = await adminSees(req);
      const visible: typeof all = [];
      for (const entity of all) if ((await regionsOf(catalog, kind, entity as CatalogEntities[typeof kind])).every(sees)) visible.push(entity);
      res.json({ ok: true, data: visible });
    });

    router.get(`${base}/:id`, async (req, res) => {
      const entity = await catalog.require(kind, req.params.id);
      // Reading a service item (national standard data) is open to every administrator; writing it is not.
      const regions = await regionsOf(catalog, kind, entity);
      await authorizeAdmin(req, kind === 'item' ? [] : regions);
      res.json({ ok: true, data: entity });
    });

    router.post(base, async (req, res) => {
      const entity = parseInput(CATALOG_KINDS[kind].schema, req.body) as CatalogEntities[typeof kind];
      await authorizeAdmin(req, await regionsOf(catalog, kind, entity));
      res.status(201).json({ ok: true, data: await catalog.insert(kind, entity) });
    });

    router.put(`${base}/:id`, async (req, res) => {
      const id = req.params.id;
      const body: unknown = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AppError('VALIDATION_FAILED', '请求体应为 JSON 对象', 400);
      const claimed = (body as Record<string, unknown>)[idField];
      if (claimed !== undefined && claimed !== id) {
        throw new AppError('CATALOG_ID_MISMATCH', `请求体中的 ${idField} 与地址中的 ${id} 不一致`, 400, { [idField]: claimed, id });
      }
      const entity = parseInput(CATALOG_KINDS[kind].schema, { ...body, [idField]: id }) as CatalogEntities[typeof kind];
      const existing = await catalog.require(kind, id);
      // Moving something between regions needs the right to both.
      const regions = new Set([...(await regionsOf(catalog, kind, existing)), ...(await regionsOf(catalog, kind, entity))]);
      await authorizeAdmin(req, [...regions]);
      res.json({ ok: true, data: await catalog.replace(kind, entity) });
    });

    router.delete(`${base}/:id`, async (req, res) => {
      const entity = await catalog.require(kind, req.params.id);
      await authorizeAdmin(req, await regionsOf(catalog, kind, entity));
      await catalog.remove(kind, req.params.id);
      res.json({ ok: true, data: { [idField]: req.params.id } });
    });
  }

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') log.error({ err }, 'catalogue request failed');
    respondWithError(res, e);
  };
  router.use(paths, onError);
  return router;
}

/** The regions an entity belongs to, for authorization (a counter: its hall's region). */
async function regionsOf<K extends CatalogKind>(catalog: CatalogStore, kind: K, entity: CatalogEntities[K]): Promise<string[]> {
  const e = entity as CatalogEntities[CatalogKind];
  switch (kind) {
    case 'region':
      return [(e as CatalogEntities['region']).code];
    case 'hall':
      return [(e as CatalogEntities['hall']).regionCode];
    case 'counter': {
      const hall = await catalog.get('hall', (e as CatalogEntities['counter']).hallId);
      // A missing hall is refused by the store's reference check after authorization.
      return hall ? [hall.regionCode] : [];
    }
    case 'partnership':
      return [...(e as CatalogEntities['partnership']).regions];
    case 'item': {
      // The regions serving it: the item's materials and documents are what their clerks work by.
      const code = (e as CatalogEntities['item']).code;
      const serving = new Set<string>();
      for (const p of await catalog.list('partnership')) for (const o of p.offers) if (o.itemCodes.includes(code)) serving.add(o.servingRegion);
      return [...serving].sort();
    }
    default:
      return [];
  }
}
