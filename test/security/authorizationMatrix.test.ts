import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REQUEST_TYPES } from '@rvw/protocol/messages';
import { startTestNode, type TestNode } from '../harness/testNode';
import {
  FAKE_DTLS,
  HUOQIU,
  ITEM_CERT,
  ITEM_TRANSFER,
  ITEM_X,
  PARTNERSHIP,
  TINY_PNG_BASE64,
  WUJIANG,
  applicant,
  enrolStaff,
  openAcceptedCase,
  opusRtpParameters,
  type EnrolledStaff,
} from './support/fixtures';
import { httpRequest, type HttpAnswer, type Method } from './support/http';
import { WsClient, refusedUpgrade, wsUrlOf, type WsResponse } from './support/wsClient';

// ─────────────────────────────────────────────────────────────────────────────────────────────────
// THE AUTHORIZATION SPEC. Every HTTP route mounted by RegionalNode and every WebSocket request type,
// against nine principals. Each cell is executed against a real node (real Redis, passkeys, device
// credentials, mediasoup) and asserted:
//   D (deny)  → HTTP 401 UNAUTHENTICATED (anonymous) / 403 FORBIDDEN; WS: FORBIDDEN (or, for media
//               requests that need a joined session, NOT_IN_SESSION — the join itself is denied);
//               anonymous sockets are refused at the upgrade (401 UNAUTHENTICATED).
//   A (allow) → not 401/403, not an auth error code, and never 5xx/INTERNAL. It may still fail for
//               business reasons (validation, wrong state, CATALOG_IN_USE…): that is not our concern.
//
// "Case A" is opened by the 吴江 counter for item X (000117005000, served by 霍邱) and accepted by
// the 霍邱 clerk "kH". Columns:
//   a320  admin of 320509 吴江 (applicant region of case A)      a341  admin of 341522 霍邱 (serving)
//   kH    霍邱 clerk assigned X, HOLDING case A                    kN    霍邱 clerk assigned X, not holding
//   kW    霍邱 clerk without X                                     k320  吴江 clerk (assigned X and 参保证明)
//   cO    吴江 counter wujiang-kyth-01 (opened case A)             c341  霍邱 counter huoqiu-kyth-01
//   anon  no credentials
// ─────────────────────────────────────────────────────────────────────────────────────────────────

const COLUMNS = ['a320', 'a341', 'kH', 'kN', 'kW', 'k320', 'cO', 'c341', 'anon'] as const;
type Who = (typeof COLUMNS)[number];
/** Execution order within a row: the holding clerk last (its session.end must come after the others tried). */
const EXEC_ORDER: readonly Who[] = ['a320', 'a341', 'kN', 'kW', 'k320', 'cO', 'c341', 'anon', 'kH'];

const PUBLIC = 'A A A A A A A A A';

interface HttpRow {
  method: Method;
  /** The route as mounted (with `:params`); static files are listed as their path. */
  route: string;
  /** a320 a341 kH kN kW k320 cO c341 anon */
  cells: string;
  /** The concrete path (params filled in); defaults to `route`. */
  path?: (c: Ctx, who: Who) => string;
  body?: (c: Ctx, who: Who) => unknown;
  rawBody?: Buffer;
  contentType?: string;
  /** Served by express.static, not a route. */
  static?: true;
  /** Use a second, throwaway session of the principal (for logout). */
  freshSession?: true;
}

const lower = (w: Who) => w.toLowerCase();
const upper = (w: Who) => w.toUpperCase();
const token32 = (ch: string) => ch.repeat(32);

const HTTP: HttpRow[] = [
  // ── operations and pages: public ─────────────────────────────────────────── a320 a341 kH kN kW k320 cO c341 anon
  { method: 'GET', route: '/healthz', /*                                      */ cells: PUBLIC },
  // The monitoring system's bearer token opens it, not a session: 401 for everyone here (test/security/metricsAccess.test.ts).
  { method: 'GET', route: '/metrics', /* Prometheus scrape, token only        */ cells: 'D D D D D D D D D' },
  { method: 'GET', route: '/', /*        redirect to /login.html              */ cells: PUBLIC },
  // Files for the other nodes: a request signed with the cluster secret opens it, no session does (test/cluster/filesAcrossNodes.test.ts).
  { method: 'GET', route: '/internal/files/:kind/:sha256', /* nodes only      */ cells: 'D D D D D D D D D', path: () => `/internal/files/blob/${'0'.repeat(64)}` },
  { method: 'GET', route: '/favicon.ico', /*                                  */ cells: PUBLIC },
  ...['/login.html', '/enroll.html', '/counter.html', '/clerk.html', '/admin.html', '/styles.css', '/dist/counter.js', '/dist/clerk.js', '/auth/login.js', '/auth/enroll.js', '/auth/auth.css'].map(
    (route): HttpRow => ({ method: 'GET', route, cells: PUBLIC, static: true }),
  ),

  // ── passkey enrolment and sign-in: public (token- or ceremony-gated) ───────
  { method: 'POST', route: '/api/auth/invites/inspect', cells: PUBLIC, body: () => ({ token: token32('i') }) },
  { method: 'POST', route: '/api/auth/register/options', cells: PUBLIC, body: () => ({ token: token32('r'), name: '矩阵' }) },
  { method: 'POST', route: '/api/auth/register/verify', cells: PUBLIC, body: () => ({ token: token32('r'), response: {} }) },
  { method: 'POST', route: '/api/auth/login/options', cells: PUBLIC, body: () => ({}) },
  { method: 'POST', route: '/api/auth/login/verify', cells: PUBLIC, body: () => ({ response: {} }) },
  { method: 'POST', route: '/api/auth/logout', cells: PUBLIC, freshSession: true },
  { method: 'POST', route: '/api/auth/counter/activate', cells: PUBLIC, body: () => ({ token: token32('a') }) },
  { method: 'GET', route: '/api/auth/me', /*                                     */ cells: 'A A A A A A A A D' },

  // ── staff and terminal administration: admins, for staff/terminals entirely within their regions ──
  { method: 'POST', route: '/api/admin/invites', /*   a 霍邱 clerk invite       */ cells: 'D A D D D D D D D', body: () => ({ role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }) },
  { method: 'GET', route: '/api/admin/staff', /*      filtered, see leaks below */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/invites', /*    pending, filtered by region */ cells: 'A A D D D D D D D' },
  { method: 'POST', route: '/api/admin/invites/:id/revoke', /* a 霍邱 clerk invite */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/invites/${c.inviteId}/revoke` },
  { method: 'POST', route: '/api/admin/staff/:id/disable', /* a 霍邱 clerk      */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/staff/${c.victim.staffId}/disable` },
  { method: 'POST', route: '/api/admin/credentials/:id/revoke', /* 霍邱 passkey  */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/credentials/${c.victimCredentialId}/revoke` },
  { method: 'GET', route: '/api/admin/terminals', /*  filtered, see leaks below */ cells: 'A A D D D D D D D' },
  {
    method: 'POST',
    route: '/api/admin/terminals', /*                    a 霍邱 terminal          */
    cells: 'D A D D D D D D D',
    body: (_c, w) => ({ counterId: `mtx-reg-${lower(w)}`, hallId: 'huoqiu-zwfwzx', regionCode: HUOQIU, name: '矩阵测试终端' }),
  },
  { method: 'POST', route: '/api/admin/terminals/:id/revoke', /* a 霍邱 terminal */ cells: 'D A D D D D D D D', path: () => '/api/admin/terminals/mtx-victim-terminal/revoke' },

  // ── catalogue administration: any admin lists (no personal data); one entity needs its region(s) ──
  { method: 'GET', route: '/api/admin/regions', /*                              */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/regions/:id', /*     341522                 */ cells: 'D A D D D D D D D', path: () => `/api/admin/regions/${HUOQIU}` },
  { method: 'POST', route: '/api/admin/regions', /* a new region: no regional admin manages it */ cells: 'D D D D D D D D D', body: (_c, w) => ({ code: `9${String(COLUMNS.indexOf(w)).padStart(5, '0')}`, name: '矩阵测试区', province: '测试省' }) },
  { method: 'PUT', route: '/api/admin/regions/:id', /*     341522, unchanged      */ cells: 'D A D D D D D D D', path: () => `/api/admin/regions/${HUOQIU}`, body: (c) => c.entities.region },
  { method: 'DELETE', route: '/api/admin/regions/:id', /*  341522 (in use → 409) */ cells: 'D A D D D D D D D', path: () => `/api/admin/regions/${HUOQIU}` },

  { method: 'GET', route: '/api/admin/halls', /*                                */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/halls/:id', /*       a 霍邱 hall            */ cells: 'D A D D D D D D D', path: () => '/api/admin/halls/huoqiu-zwfwzx' },
  { method: 'POST', route: '/api/admin/halls', /*          a new 霍邱 hall        */ cells: 'D A D D D D D D D', body: (_c, w) => ({ id: `mtx-new-hall-${lower(w)}`, regionCode: HUOQIU, name: '矩阵测试大厅', address: '测试地址 1 号' }) },
  { method: 'PUT', route: '/api/admin/halls/:id', /*       a 霍邱 hall, unchanged */ cells: 'D A D D D D D D D', path: () => '/api/admin/halls/huoqiu-zwfwzx', body: (c) => c.entities.hall },
  { method: 'DELETE', route: '/api/admin/halls/:id', /*    a throwaway 霍邱 hall  */ cells: 'D A D D D D D D D', path: (_c, w) => `/api/admin/halls/mtx-del-hall-${lower(w)}` },

  { method: 'GET', route: '/api/admin/counters', /*                             */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/counters/:id', /*    huoqiu-kyth-01         */ cells: 'D A D D D D D D D', path: () => '/api/admin/counters/huoqiu-kyth-01' },
  { method: 'POST', route: '/api/admin/counters', /*       a new 霍邱 counter     */ cells: 'D A D D D D D D D', body: (_c, w) => ({ id: `mtx-new-counter-${lower(w)}`, hallId: 'huoqiu-zwfwzx', name: '矩阵测试窗口' }) },
  { method: 'PUT', route: '/api/admin/counters/:id', /*    huoqiu-kyth-01, same   */ cells: 'D A D D D D D D D', path: () => '/api/admin/counters/huoqiu-kyth-01', body: (c) => c.entities.counter },
  { method: 'DELETE', route: '/api/admin/counters/:id', /* a throwaway 霍邱 one   */ cells: 'D A D D D D D D D', path: (_c, w) => `/api/admin/counters/mtx-del-counter-${lower(w)}` },

  // Service items are national standard data: any administrator (policy comment in createCatalogRouter).
  { method: 'GET', route: '/api/admin/items', /*                                */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/items/:id', /*                            */ cells: 'A A D D D D D D D', path: () => `/api/admin/items/${ITEM_X}` },
  { method: 'POST', route: '/api/admin/items', /*                               */ cells: 'A A D D D D D D D', body: (_c, w) => item(`MTXNEW${upper(w)}`) },
  { method: 'PUT', route: '/api/admin/items/:id', /*       a throwaway item       */ cells: 'A A D D D D D D D', path: () => '/api/admin/items/MTXPUT', body: () => item('MTXPUT') },
  { method: 'DELETE', route: '/api/admin/items/:id', /*    a throwaway item       */ cells: 'A A D D D D D D D', path: (_c, w) => `/api/admin/items/MTXDEL${upper(w)}` },

  // A partnership spans two regions: only an admin of BOTH (here: nobody in the matrix) may touch one.
  { method: 'GET', route: '/api/admin/partnerships', /*                         */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/partnerships/:id', /* both regions needed  */ cells: 'D D D D D D D D D', path: () => `/api/admin/partnerships/${PARTNERSHIP}` },
  { method: 'POST', route: '/api/admin/partnerships', /*                        */ cells: 'D D D D D D D D D', body: (_c, w) => partnership(`mtx-new-partnership-${lower(w)}`) },
  { method: 'PUT', route: '/api/admin/partnerships/:id', /* unchanged            */ cells: 'D D D D D D D D D', path: () => `/api/admin/partnerships/${PARTNERSHIP}`, body: (c) => c.entities.partnership },
  { method: 'DELETE', route: '/api/admin/partnerships/:id', /* a throwaway one   */ cells: 'D D D D D D D D D', path: () => '/api/admin/partnerships/mtx-del-partnership' },

  // ── the counter terminal's own offers: registered counters only ────────────
  { method: 'GET', route: '/api/counter/offers', /*                              */ cells: 'D D D D D D A A D' },

  // ── what the clerk's page looks at: materials for the two sides, the preview for the holder ──
  { method: 'GET', route: '/api/cases/:caseId/materials/:sha256', /* holder, its counter */ cells: 'D D A D D D A D D', path: (c) => `/api/cases/${c.caseA}/materials/${'0'.repeat(64)}` },
  { method: 'GET', route: '/api/cases/:caseId/document-types', /* like case.get */ cells: 'A A A D D D A D D', path: (c) => `/api/cases/${c.caseA}/document-types` },
  { method: 'GET', route: '/api/cases/:caseId/documents/preview/:docType', /* holder */ cells: 'D D A D D D D D D', path: (c) => `/api/cases/${c.caseA}/documents/preview/receipt` },
  // ── the evidence bundle: the serving region's administrators and the holding clerk ──
  { method: 'GET', route: '/api/cases/:caseId/recordings', /* a341, holder */ cells: 'D A A D D D D D D', path: (c) => `/api/cases/${c.caseA}/recordings` },
  { method: 'GET', route: '/api/cases/:caseId/recordings/:sha256', /* a341, holder */ cells: 'D A A D D D D D D', path: (c) => `/api/cases/${c.caseA}/recordings/${'0'.repeat(64)}` },
  { method: 'GET', route: '/api/cases/:caseId/evidence', /* a341, holder */ cells: 'D A A D D D D D D', path: (c) => `/api/cases/${c.caseA}/evidence` },
  // 我的办件: every clerk lists its own accepted cases (nobody else's; test/stats/clerkHistory.test.ts).
  { method: 'GET', route: '/api/clerk/cases', /*      own cases only           */ cells: 'D D A A A A D D D' },
  // ── statistics: the administrators of either region of the partnership (吴江↔霍邱) ──
  { method: 'GET', route: '/api/admin/stats', /*      the partnership's figures */ cells: 'A A D D D D D D D', path: () => `/api/admin/stats?from=2026-01-01&to=2026-01-31&partnershipId=${PARTNERSHIP}` },
  { method: 'GET', route: '/api/admin/stats/live', /* queues and clerks now     */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/stats/export', /* 好差评 CSV              */ cells: 'A A D D D D D D D', path: () => '/api/admin/stats/export?format=csv&kind=ratings&from=2026-01-01&to=2026-01-31' },
  // 整改 of a 差评 of the clerk: the serving region's administrators (case A has no rating: 409 for them).
  { method: 'POST', route: '/api/admin/stats/poor/:caseId/follow-up', /* a341   */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/stats/poor/${c.caseA}/follow-up`, body: () => ({ target: 'clerk', text: '已约谈并整改' }) },
  // ── 办件档案: the administrators of either region of the partnership (archive.search), each case as case.read ──
  { method: 'GET', route: '/api/admin/cases', /*      the partnership's cases   */ cells: 'A A D D D D D D D', path: () => `/api/admin/cases?partnershipId=${PARTNERSHIP}&from=2026-01-01&to=2026-01-31` },
  { method: 'GET', route: '/api/admin/cases/filters', /* what the form offers  */ cells: 'A A D D D D D D D' },
  { method: 'GET', route: '/api/admin/cases/:caseId', /* case A, either region */ cells: 'A A D D D D D D D', path: (c) => `/api/admin/cases/${c.caseA}` },
  // A material opened from the archive: the serving region's administrators only (case A has none: 404 for them).
  { method: 'GET', route: '/api/admin/cases/:caseId/materials/:index', /* a341 */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/cases/${c.caseA}/materials/0` },
  { method: 'GET', route: '/api/admin/cases/:caseId/chat', /* a341 */ cells: 'D A D D D D D D D', path: (c) => `/api/admin/cases/${c.caseA}/chat` },

  // ── public verification of signed documents ───────────────────────────────
  { method: 'GET', route: '/verify/assets/verify.js', cells: PUBLIC },
  { method: 'GET', route: '/verify/assets/verify.css', cells: PUBLIC },
  { method: 'GET', route: '/verify', cells: PUBLIC },
  { method: 'GET', route: '/verify/:handle', cells: PUBLIC, path: (c) => `/verify/${c.docHandle}` },
  { method: 'POST', route: '/verify', cells: PUBLIC, rawBody: Buffer.from('%PDF-1.4\n%%EOF\n'), contentType: 'application/pdf' },

  // ── printing at the applicant's counter ────────────────────────────────────
  { method: 'POST', route: '/api/documents/:number/print-token', /* its counter  */ cells: 'D D D D D D A D D', path: (c) => `/api/documents/${c.docNumber}/print-token` },
  { method: 'GET', route: '/api/print/:token', /* the token is the capability    */ cells: PUBLIC, path: () => `/api/print/${token32('p')}` },
  { method: 'POST', route: '/api/documents/:number/print-report', /* its counter */ cells: 'D D D D D D A D D', path: (c) => `/api/documents/${c.docNumber}/print-report`, body: () => ({ outcome: 'success' }) },
  { method: 'POST', route: '/api/documents/:number/print-confirm', /* its counter */ cells: 'D D D D D D A D D', path: (c) => `/api/documents/${c.docNumber}/print-confirm`, body: () => ({ token: token32('c') }) },
  { method: 'POST', route: '/api/documents/:number/reprint-approval', /* issuer  */ cells: 'D D A D D D D D D', path: (c) => `/api/documents/${c.docNumber}/reprint-approval`, body: () => ({ reason: '卡纸' }) },
];

interface WsRow {
  type: string;
  /** a320 a341 kH kN kW k320 cO c341 anon */
  cells: string;
  fields: (c: Ctx, who: Who) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Media requests: only possible after session.join, so a denied principal sees NOT_IN_SESSION. */
  needsSession?: true;
  /** Records ids the principal created (for later rows). */
  after?: (c: Ctx, who: Who, res: WsResponse) => Promise<void> | void;
}

const caseId = (c: Ctx) => ({ caseId: c.caseA });
const currentVersion = async (c: Ctx) => (await c.t.node.cases.getCase(c.caseA)).version;
/** A principal's own media object, else the counter's (a denied principal aims at real objects). */
const mine = (c: Ctx, w: Who, k: keyof MediaIds) => c.own[w][k] ?? c.own.cO[k] ?? 'no-such-object';

const WS: WsRow[] = [
  // type                                                        a320 a341 kH kN kW k320 cO c341 anon
  { type: 'ping', /*                                       */ cells: 'A A A A A A A A D', fields: () => ({}) },
  { type: 'cluster.nodes', /* where to go if this node dies */ cells: 'A A A A A A A A D', fields: () => ({}) },
  { type: 'queue.subscribe', /* clerks, own region+items   */ cells: 'D D A A A A D D D', fields: () => ({}) },
  { type: 'queue.join', /* counters (c341: ITEM_NOT_OFFERED) */ cells: 'D D D D D D A A D', fields: () => ({ partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant('林秀英') }) },
  { type: 'queue.leave', /* the case's counter             */ cells: 'D D D D D D A D D', fields: caseId },
  { type: 'queue.accept', /* clerks of region+item may try; a late one gets CASE_ALREADY_ACCEPTED */ cells: 'D D A A D D D D D', fields: caseId },
  // 转办 and its colleague list: the holder only (to nobody here: TRANSFER_TARGET_INVALID, a business refusal).
  { type: 'case.transfer', /* holder                  */ cells: 'D D A D D D D D D', fields: (c) => ({ caseId: c.caseA, toStaffId: 'no-such-clerk', note: '转交同事办理' }) },
  { type: 'clerk.colleagues', /* holder               */ cells: 'D D A D D D D D D', fields: caseId },
  { type: 'clerk.availability', /* every clerk, about itself (read here: a paused kH would accept nothing) */ cells: 'D D A A A A D D D', fields: () => ({}) },
  // Case A is held: the item's other clerks (kN) saw it only while it was queued.
  { type: 'case.get', /* holder, its counter, admins of either region */ cells: 'A A A D D D A D D', fields: caseId },
  // An application-form field both sides may write; the authority's 办理意见 is the holder's alone (documentAbuse.test.ts).
  { type: 'case.update', /* holder, its counter            */ cells: 'D D A D D D A D D', fields: async (c) => ({ caseId: c.caseA, expectedVersion: await currentVersion(c), fields: { statement: '矩阵测试' } }) },
  { type: 'case.transition', /* holder                     */ cells: 'D D A D D D D D D', fields: async (c) => ({ caseId: c.caseA, expectedVersion: await currentVersion(c), to: 'in_session' }) },
  { type: 'material.capture', /* holder, its counter       */ cells: 'D D A D D D A D D', fields: (c) => ({ caseId: c.caseA, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG_BASE64 }) },
  { type: 'material.waive', /* holder                      */ cells: 'D D A D D D D D D', fields: (c) => ({ caseId: c.caseA, materialId: 'household_register', note: '三日内补交', deadline: '2099-12-31' }) },
  { type: 'document.issue', /* holder                      */ cells: 'D D A D D D D D D', fields: (c) => ({ caseId: c.caseA, docType: 'missing_notice' }) },
  { type: 'chat.send', /* holder, its counter              */ cells: 'D D A D D D A D D', fields: (c) => ({ caseId: c.caseA, text: '您好' }) },
  { type: 'signature.submit', /* its counter               */ cells: 'D D D D D D A D D', fields: (c) => ({ caseId: c.caseA, pngBase64: TINY_PNG_BASE64 }) },
  { type: 'rating.submit', /* its counter                  */ cells: 'D D D D D D A D D', fields: (c) => ({ caseId: c.caseA, target: 'clerk', score: 5 }) },
  // Pointing at the 高拍仪 picture: the holder only (its counter sees the marks, never draws them).
  { type: 'doc.marks', /* holder                           */ cells: 'D D A D D D D D D', fields: (c) => ({ caseId: c.caseA, marks: [{ points: [[0.1, 0.1], [0.9, 0.9]] }] }) },
  // Each side proposes for its own path (the side is the caller's): the holder and its counter.
  // 人证核验: the case's counter hands in the card (its applicant's: any other is a business
  // refusal, IDENTITY_CARD_NOT_APPLICANT); the chip photo and the finding are the holder's alone
  // (no card read in this case: IDENTITY_CARD_NOT_READ, a business refusal past the policy).
  { type: 'identity.card', /* its counter                  */ cells: 'D D D D D D A D D', fields: (c) => ({ caseId: c.caseA, card: { name: '王某某', idNumber: '110101199003074573', photoBase64: '/9j/4AAQSkZJRgABAQ==', sample: true } }) },
  { type: 'identity.photo', /* holder                      */ cells: 'D D A D D D D D D', fields: caseId },
  { type: 'identity.verify', /* holder                     */ cells: 'D D A D D D D D D', fields: (c) => ({ caseId: c.caseA, result: 'match' }) },
  // 同屏帮办: both sides fill the form (the item has none here: FORM_FIELD_UNKNOWN, a business refusal past the policy).
  { type: 'form.set', /* holder, its counter               */ cells: 'D D A D D D A D D', fields: (c) => ({ caseId: c.caseA, key: 'bank_name', value: '矩阵测试', expectedRev: 0 }) },
  { type: 'call.mode', /* holder, its counter              */ cells: 'D D A D D D A D D', fields: (c) => ({ caseId: c.caseA, proposed: 'audio', measured: { availableKbps: 90 } }) },
  {
    type: 'session.join', /* holder, its counter            */
    cells: 'D D A D D D A D D',
    fields: (c, w) => ({ sessionId: c.caseA, peerId: `mtx-${lower(w)}` }),
    after: (c, w, res) => {
      if (res.ok) c.own[w].joined = true;
    },
  },
  // The node-wide codec list (the same for every router; no session data): any signed-in socket, so
  // pages can load their mediasoup Device before a call starts.
  { type: 'getRouterRtpCapabilities', cells: 'A A A A A A A A D', fields: () => ({}) },
  {
    type: 'createWebRtcTransport',
    cells: 'D D A D D D A D D',
    needsSession: true,
    fields: () => ({ direction: 'send' }),
    after: async (c, w, res) => {
      if (!res.ok) return;
      c.own[w].send = (res.data as { id: string }).id;
      c.own[w].recv = (await c.ws[w]!.call('createWebRtcTransport', { direction: 'recv' })).id;
    },
  },
  { type: 'connectTransport', cells: 'D D A D D D A D D', needsSession: true, fields: (c, w) => ({ transportId: mine(c, w, 'send'), dtlsParameters: FAKE_DTLS }) },
  { type: 'openDataChannel', cells: 'D D A D D D A D D', needsSession: true, fields: (c, w) => ({ transportId: mine(c, w, 'recv') }) },
  {
    type: 'produce',
    cells: 'D D A D D D A D D',
    needsSession: true,
    fields: (c, w) => ({ transportId: mine(c, w, 'send'), kind: 'audio', rtpParameters: opusRtpParameters(5000 + COLUMNS.indexOf(w)), source: 'mic' }),
    after: (c, w, res) => {
      if (res.ok) c.own[w].producer = (res.data as { producerId: string }).producerId;
    },
  },
  {
    type: 'consume',
    cells: 'D D A D D D A D D',
    needsSession: true,
    fields: (c, w) => ({
      transportId: mine(c, w, 'recv'),
      producerId: (w === 'cO' ? c.own.kH.producer : c.own.cO.producer) ?? 'no-such-producer',
      rtpCapabilities: c.rtpCapabilities,
    }),
    after: (c, w, res) => {
      if (res.ok) c.own[w].consumer = (res.data as { id: string }).id;
    },
  },
  { type: 'resumeConsumer', cells: 'D D A D D D A D D', needsSession: true, fields: (c, w) => ({ consumerId: mine(c, w, 'consumer') }) },
  { type: 'restartIce', cells: 'D D A D D D A D D', needsSession: true, fields: (c, w) => ({ transportId: mine(c, w, 'send') }) },
  { type: 'closeProducer', cells: 'D D A D D D A D D', needsSession: true, fields: (c, w) => ({ producerId: mine(c, w, 'producer') }) },
  { type: 'session.end', /* the holding clerk (runs last) */ cells: 'D D A D D D D D D', needsSession: true, fields: () => ({}) },
  { type: 'session.leave', /* anyone; a no-op outside a call */ cells: 'A A A A A A A A D', fields: () => ({}) },
  // After the call rows: a desk is a session of its own, so joining one changes what the media rows see.
  { type: 'desk.join', /* any clerk                         */ cells: 'D D A A A A D D D', fields: (_c, w) => ({ peerId: `desk-${lower(w)}` }) },
  { type: 'session.link', /* the holder, from its desk     */ cells: 'D D A D D D D D D', fields: (c) => ({ sessionId: c.caseA }) },
];

// ─────────────────────────────────────────────────────────────────────────────────────────────────

interface MediaIds {
  joined?: boolean;
  send?: string;
  recv?: string;
  producer?: string;
  consumer?: string;
}

interface Ctx {
  t: TestNode;
  /** Cookie header per principal (none for anon). */
  cookie: Record<Who, string | undefined>;
  staff: Partial<Record<Who, EnrolledStaff>>;
  ws: Partial<Record<Who, WsClient>>;
  own: Record<Who, MediaIds>;
  caseA: string;
  docNumber: string;
  /** The document's public /verify handle. */
  docHandle: string;
  /** A pending 霍邱 clerk invite (for the revoke row). */
  inviteId: string;
  victim: EnrolledStaff;
  victimCredentialId: string;
  rtpCapabilities: unknown;
  /** Current demo entities, for PUT-unchanged bodies. */
  entities: { region: unknown; hall: unknown; counter: unknown; partnership: unknown };
}

function item(code: string): Record<string, unknown> {
  return { code, name: '矩阵测试事项', legalBasis: '测试依据', level: 'county', materials: [], statutoryDays: 1, promisedDays: 0, issuedDocuments: [] };
}

function partnership(id: string): Record<string, unknown> {
  return {
    id,
    name: '矩阵测试合作',
    regions: [WUJIANG, HUOQIU],
    offers: [{ servingRegion: HUOQIU, applicantRegion: WUJIANG, itemCodes: [ITEM_TRANSFER] }],
    serviceHours: { timezone: 'Asia/Shanghai', weekdays: [1], windows: [{ start: '09:00', end: '10:00' }] },
    active: false,
  };
}

/** Parses a row's cells into allow/deny per principal. */
function cellsOf(cells: string): Record<Who, 'A' | 'D'> {
  const marks = cells.trim().split(/\s+/);
  if (marks.length !== COLUMNS.length || marks.some((m) => m !== 'A' && m !== 'D')) throw new Error(`bad cells "${cells}"`);
  return Object.fromEntries(COLUMNS.map((w, i) => [w, marks[i]])) as Record<Who, 'A' | 'D'>;
}

const AUTH_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'ORIGIN_NOT_ALLOWED'];

/**
 * Forgets the per-IP auth rate-limit counters (`auth:ratelimit:*`). Hundreds of cells from one
 * loopback address would otherwise exhaust them and a 429 would hide the decision under test;
 * the limits themselves are tested by test/auth and by the flood in hostileInput.
 */
async function resetAuthRateLimits(): Promise<void> {
  const keys: string[] = [];
  for await (const batch of ctx.t.node.redis.scanIterator({ MATCH: 'auth:ratelimit:*', COUNT: 100 })) keys.push(...(Array.isArray(batch) ? batch : [batch]));
  if (keys.length) await ctx.t.node.redis.del(keys);
}

let ctx: Ctx;

beforeAll(async () => {
  const t = await startTestNode({ archive: true });
  const admin = t.admin.cookieHeader;
  const asAdmin = async (method: Method, path: string, body?: unknown) => {
    const r = await httpRequest(t.origin, method, path, { cookie: admin, ...(body !== undefined ? { body } : {}) });
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text.slice(0, 300)}`);
    return r.json?.data;
  };

  const [a320, a341, kH, kN, kW, k320, victim] = [
    await enrolStaff(t, { role: 'admin', regionCodes: [WUJIANG] }, '吴江管理员'),
    await enrolStaff(t, { role: 'admin', regionCodes: [HUOQIU] }, '霍邱管理员'),
    await enrolStaff(t, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }, '霍邱 受理人'),
    await enrolStaff(t, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }, '霍邱 同事'),
    await enrolStaff(t, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_CERT, ITEM_TRANSFER] }, '霍邱 他项'),
    await enrolStaff(t, { role: 'clerk', regionCode: WUJIANG, itemCodes: [ITEM_X, ITEM_CERT] }, '吴江 窗口'),
    await enrolStaff(t, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_CERT] }, '霍邱 待停用'),
  ];
  const cO = await t.counter('wujiang-kyth-01');
  const c341 = await t.counter('huoqiu-kyth-01');
  const staff = { a320, a341, kH, kN, kW, k320 } as const;
  const cookie: Record<Who, string | undefined> = {
    a320: a320.cookieHeader,
    a341: a341.cookieHeader,
    kH: kH.cookieHeader,
    kN: kN.cookieHeader,
    kW: kW.cookieHeader,
    k320: k320.cookieHeader,
    cO: `rvw_dev=${cO.cookie.value}`,
    c341: `rvw_dev=${c341.cookie.value}`,
    anon: undefined,
  };
  const ws: Partial<Record<Who, WsClient>> = {};
  for (const w of COLUMNS) if (w !== 'anon') ws[w] = await WsClient.connect(t.origin, cookie[w]!);

  // Case A: opened by the 吴江 counter, accepted by kH; one signed document for the print routes.
  const caseA = await openAcceptedCase(ws.cO!, ws.kH!, ITEM_X);
  const doc = await ws.kH!.call('document.issue', { caseId: caseA, docType: 'receipt' });

  // Targets for the administration rows.
  const staffList = (await asAdmin('GET', '/api/admin/staff')) as { staff: { id: string; credentials: { credentialId: string }[] }[] };
  const victimCredentialId = staffList.staff.find((s) => s.id === victim.staffId)?.credentials[0]?.credentialId;
  if (!victimCredentialId) throw new Error('victim has no passkey');
  await asAdmin('POST', '/api/admin/terminals', { counterId: 'mtx-victim-terminal', hallId: 'huoqiu-zwfwzx', regionCode: HUOQIU, name: '待吊销终端' });
  await asAdmin('POST', '/api/admin/items', item('MTXPUT'));
  await asAdmin('POST', '/api/admin/invites', { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] });
  const pendingInvites = (await asAdmin('GET', '/api/admin/invites')) as { invites: { id: string; scope?: { role: string; regionCode?: string } }[] };
  const inviteId = pendingInvites.invites.find((i) => i.scope?.role === 'clerk' && i.scope.regionCode === HUOQIU)?.id;
  if (!inviteId) throw new Error('no pending invite to revoke');
  for (const w of COLUMNS) {
    await asAdmin('POST', '/api/admin/halls', { id: `mtx-del-hall-${lower(w)}`, regionCode: HUOQIU, name: '待删除大厅', address: '测试地址 2 号' });
    await asAdmin('POST', '/api/admin/counters', { id: `mtx-del-counter-${lower(w)}`, hallId: 'huoqiu-zwfwzx', name: '待删除窗口' });
    await asAdmin('POST', '/api/admin/items', item(`MTXDEL${upper(w)}`));
  }
  await asAdmin('POST', '/api/admin/partnerships', partnership('mtx-del-partnership'));
  const entities = {
    region: await asAdmin('GET', `/api/admin/regions/${HUOQIU}`),
    hall: await asAdmin('GET', '/api/admin/halls/huoqiu-zwfwzx'),
    counter: await asAdmin('GET', '/api/admin/counters/huoqiu-kyth-01'),
    partnership: await asAdmin('GET', `/api/admin/partnerships/${PARTNERSHIP}`),
  };

  ctx = {
    t,
    cookie,
    staff,
    ws,
    own: Object.fromEntries(COLUMNS.map((w) => [w, {}])) as Record<Who, MediaIds>,
    caseA,
    docNumber: doc.number,
    docHandle: (await t.node.documentStore.get(doc.number))?.handle ?? '',
    inviteId,
    victim,
    victimCredentialId,
    rtpCapabilities: undefined,
    entities,
  };
});

afterAll(async () => {
  for (const s of Object.values(ctx?.ws ?? {})) await s?.close();
  await ctx?.t.dispose();
});

// ── executing the table ────────────────────────────────────────────────────────────────────────

async function runHttpCell(row: HttpRow, who: Who, expected: 'A' | 'D'): Promise<void> {
  let cookie = ctx.cookie[who];
  if (row.freshSession && ctx.staff[who as keyof typeof ctx.staff]) {
    // Logging out must not end the session the other cells use.
    cookie = (await ctx.staff[who as keyof typeof ctx.staff]!.newSession()).cookieHeader;
  }
  const path = row.path ? row.path(ctx, who) : row.route;
  if (path.startsWith('/api/auth/') || path.startsWith('/api/admin/')) await resetAuthRateLimits();
  const res: HttpAnswer = await httpRequest(ctx.t.origin, row.method, path, {
    ...(cookie ? { cookie } : {}),
    ...(row.rawBody ? { rawBody: row.rawBody, contentType: row.contentType ?? 'application/octet-stream' } : row.body ? { body: row.body(ctx, who) } : {}),
  });
  const what = `${row.method} ${path} as ${who} → ${res.status} ${res.text.slice(0, 200)}`;
  if (expected === 'D') {
    // /metrics and the node-to-node route take no session at all: a signed-in user is as unknown there as anyone.
    if (who === 'anon' || row.route === '/metrics' || row.route.startsWith('/internal/')) expect({ status: res.status, code: res.json?.error?.code }, what).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    else expect({ status: res.status, code: res.json?.error?.code }, what).toEqual({ status: 403, code: 'FORBIDDEN' });
  } else {
    expect([401, 403], what).not.toContain(res.status);
    expect(res.status, what).toBeLessThan(500);
    if (res.json?.ok === false) expect(AUTH_CODES, what).not.toContain(res.json.error?.code);
  }
}

async function runWsCell(row: WsRow, who: Who, expected: 'A' | 'D'): Promise<void> {
  if (who === 'anon') {
    // Nobody without credentials gets a socket, whatever they meant to send.
    expect(expected).toBe('D');
    const r = await refusedUpgrade(wsUrlOf(ctx.t.origin), { origin: ctx.t.origin });
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    return;
  }
  const sock = ctx.ws[who]!;
  const res = await sock.request(row.type, await row.fields(ctx, who));
  const what = `${row.type} as ${who} → ${JSON.stringify(res).slice(0, 300)}`;
  if (expected === 'D') {
    expect(res.ok, what).toBe(false);
    const allowed = row.needsSession && !ctx.own[who].joined ? ['NOT_IN_SESSION'] : ['FORBIDDEN'];
    expect(allowed, what).toContain(res.error?.code);
  } else {
    if (!res.ok) expect([...AUTH_CODES, 'INTERNAL', 'NOT_IN_SESSION'], what).not.toContain(res.error?.code);
  }
  if (row.type === 'session.join' && res.ok) ctx.rtpCapabilities = (res.data as { rtpCapabilities: unknown }).rtpCapabilities;
  await row.after?.(ctx, who, res);
}

describe('the tables are complete', () => {
  it('the WebSocket table has exactly one row per request type in REQUEST_TYPES', () => {
    const rows = WS.map((r) => r.type);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it('the HTTP table has a row for every route mounted in RegionalNode, and no stale rows', () => {
    interface Layer {
      route?: { path: string; methods: Record<string, boolean> };
      handle: { stack?: Layer[] };
    }
    const app = ctx.t.node.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
    const mounted: string[] = [];
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const m of Object.keys(layer.route.methods)) if (m !== '_all') mounted.push(`${m.toUpperCase()} ${layer.route.path}`);
        } else if (layer.handle.stack) {
          walk(layer.handle.stack);
        }
      }
    };
    walk(app.router.stack);
    expect(mounted.length).toBeGreaterThan(40);
    const table = HTTP.filter((r) => !r.static).map((r) => `${r.method} ${r.route}`);
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...new Set(mounted)].sort());
  });
});

describe.each(HTTP.map((row) => ({ row, label: `${row.method} ${row.route}` })))('HTTP $label', ({ row }) => {
  const cells = cellsOf(row.cells);
  it.each(EXEC_ORDER.map((who) => ({ who, expected: cells[who] })))('$who → $expected', async ({ who, expected }) => {
    await runHttpCell(row, who, expected);
  });
});

describe.each(WS.map((row) => ({ row, label: row.type })))('WS $label', ({ row }) => {
  const cells = cellsOf(row.cells);
  it.each(EXEC_ORDER.map((who) => ({ who, expected: cells[who] })))('$who → $expected', async ({ who, expected }) => {
    await runWsCell(row, who, expected);
  });
});

describe('zero leaks across regions', () => {
  it("a 吴江 clerk never sees 霍邱's queue entries, even for the same item; a 霍邱 clerk does", async () => {
    const opened = await ctx.ws.cO!.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant('周桂兰') });
    const huoqiuQueue = (await ctx.t.node.cases.listQueue(HUOQIU)).map((e) => e.caseId);
    expect(huoqiuQueue).toContain(opened.id);

    const seenByKN = await ctx.ws.kN!.call('queue.subscribe', {});
    expect(seenByKN.cases.map((c) => c.caseId)).toContain(opened.id);

    const seenByK320 = await ctx.ws.k320!.call('queue.subscribe', {});
    for (const c of seenByK320.cases) expect(huoqiuQueue).not.toContain(c.caseId);
    expect(seenByK320.cases.filter((c) => c.applicantRegion === WUJIANG)).toEqual([]);

    // Nor is it told about 霍邱's queue changing: another case arrives, kN hears of it, k320 does not.
    const second = await ctx.ws.cO!.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant('吴德明') });
    await ctx.ws.kN!.waitFor((m) => m.type === 'queue.changed' && m.servingRegion === HUOQIU);
    await ctx.ws.k320!.call('ping', {});
    expect(ctx.ws.k320!.inbox.filter((m) => m.type === 'queue.changed' && m.servingRegion !== WUJIANG)).toEqual([]);
    expect((await ctx.ws.k320!.request('case.get', { caseId: second.id })).error?.code).toBe('FORBIDDEN');
    expect((await ctx.ws.kW!.request('queue.accept', { caseId: second.id })).error?.code).toBe('FORBIDDEN');
    expect((await ctx.ws.k320!.request('queue.accept', { caseId: second.id })).error?.code).toBe('FORBIDDEN');
    expect((await ctx.t.node.cases.getCase(second.id)).state).toBe('queued');
  });

  it('GET /api/admin/staff for the 吴江 admin lists nobody of 霍邱 (and the 霍邱 admin nobody of 吴江)', async () => {
    type StaffRow = { id: string; role: 'admin' | 'clerk'; regionCode?: string; regionCodes?: string[] };
    const regionsOf = (s: StaffRow) => (s.role === 'admin' ? (s.regionCodes ?? []) : [s.regionCode ?? '']);
    const list = async (who: 'a320' | 'a341') =>
      ((await httpRequest(ctx.t.origin, 'GET', '/api/admin/staff', { cookie: ctx.cookie[who]! })).json?.data as { staff: StaffRow[] }).staff;

    const seenBy320 = await list('a320');
    for (const s of seenBy320) expect(regionsOf(s), s.id).toEqual(regionsOf(s).map(() => WUJIANG));
    expect(seenBy320.map((s) => s.id)).toEqual(expect.arrayContaining([ctx.staff.a320!.staffId, ctx.staff.k320!.staffId]));
    for (const w of ['kH', 'kN', 'kW', 'a341'] as const) expect(seenBy320.map((s) => s.id)).not.toContain(ctx.staff[w]!.staffId);

    const seenBy341 = await list('a341');
    for (const s of seenBy341) expect(regionsOf(s), s.id).toEqual(regionsOf(s).map(() => HUOQIU));
    expect(seenBy341.map((s) => s.id)).toEqual(expect.arrayContaining([ctx.staff.kH!.staffId, ctx.staff.kN!.staffId, ctx.staff.kW!.staffId]));
    expect(seenBy341.map((s) => s.id)).not.toContain(ctx.staff.k320!.staffId);
  });

  it("GET /api/admin/terminals for the 吴江 admin lists only 吴江's terminals", async () => {
    const res = await httpRequest(ctx.t.origin, 'GET', '/api/admin/terminals', { cookie: ctx.cookie.a320! });
    const counters = (res.json?.data as { counters: { counterId: string; regionCode: string }[] }).counters;
    expect(counters.map((c) => c.counterId)).toContain('wujiang-kyth-01');
    for (const c of counters) expect(c.regionCode, c.counterId).toBe(WUJIANG);
  });
});

describe('no privilege escalation through request bodies', () => {
  beforeEach(resetAuthRateLimits);
  const as = (who: Who, method: Method, path: string, body?: unknown) =>
    httpRequest(ctx.t.origin, method, path, { cookie: ctx.cookie[who]!, ...(body !== undefined ? { body } : {}) });

  it("a 吴江 admin cannot mint a passkey link for a 霍邱 clerk (account takeover); the 霍邱 admin can", async () => {
    expect((await as('a320', 'POST', '/api/admin/invites', { staffId: ctx.staff.kH!.staffId })).status).toBe(403);
    expect((await as('a341', 'POST', '/api/admin/invites', { staffId: ctx.staff.kH!.staffId })).status).toBe(201);
  });

  it('a regional admin cannot invite a provincial or a two-region admin', async () => {
    expect((await as('a320', 'POST', '/api/admin/invites', { role: 'admin', regionCodes: ['*'] })).status).toBe(403);
    expect((await as('a320', 'POST', '/api/admin/invites', { role: 'admin', regionCodes: [WUJIANG, HUOQIU] })).status).toBe(403);
    expect((await as('a320', 'POST', '/api/admin/invites', { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] })).status).toBe(403);
  });

  it("an admin cannot move another region's hall into its own region, nor its own hall away", async () => {
    const hall = ctx.entities.hall as Record<string, unknown>;
    expect((await as('a320', 'PUT', '/api/admin/halls/huoqiu-zwfwzx', { ...hall, regionCode: WUJIANG })).status).toBe(403);
    expect((await as('a341', 'PUT', '/api/admin/halls/huoqiu-zwfwzx', { ...hall, regionCode: WUJIANG })).status).toBe(403);
    expect((await ctx.t.node.catalog.require('hall', 'huoqiu-zwfwzx')).regionCode).toBe(HUOQIU);
  });

  it("an admin cannot put a counter into another region's hall, nor register a terminal there", async () => {
    expect((await as('a320', 'POST', '/api/admin/counters', { id: 'mtx-sneaky-counter', hallId: 'huoqiu-zwfwzx', name: '越权窗口' })).status).toBe(403);
    const terminal = await as('a320', 'POST', '/api/admin/terminals', { counterId: 'mtx-sneaky-terminal', hallId: 'huoqiu-zwfwzx', regionCode: WUJIANG, name: '越权终端' });
    expect(terminal.status).toBeGreaterThanOrEqual(400);
    expect(terminal.status).toBeLessThan(500);
    expect(await ctx.t.node.catalog.get('counter', 'mtx-sneaky-counter')).toBeUndefined();
  });

  it("a regional admin cannot revoke the other region's terminal or disable its admin (nor itself)", async () => {
    expect((await as('a320', 'POST', '/api/admin/terminals/huoqiu-kyth-01/revoke')).status).toBe(403);
    expect((await as('a320', 'POST', `/api/admin/staff/${ctx.staff.a341!.staffId}/disable`)).status).toBe(403);
    expect((await as('a341', 'POST', `/api/admin/staff/${ctx.staff.a341!.staffId}/disable`)).json?.error?.code).toBe('STAFF_SELF_DISABLE');
  });
});
