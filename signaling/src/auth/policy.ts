import { AppError } from '../errors/AppError.js';
import type { Principal } from './Principal.js';

/**
 * Authorization: the ONE place that decides who may do what. Routes and WebSocket handlers call
 * `authorize(principal, action, resource)` with the facts of the resource; nothing else grants
 * access. Decisions (reviewed spec: test/auth/policy.test.ts holds the full matrix):
 *
 * - `ANY_REGION` (`'*'`) in an admin's `regionCodes` means a provincial administrator who manages
 *   every region (the bootstrap administrator is one). Only such an admin manages `'*'` itself.
 * - An admin manages a set of regions only if it manages EVERY region in it: inviting, listing,
 *   disabling staff or revoking passkeys is allowed only for staff entirely within the admin's
 *   regions; a partnership (two regions) can be written only by an admin managing BOTH sides.
 * - `catalog.read` (regions, halls, items, partnerships: no personal data) is open to every
 *   signed-in staff member and registered counter; counters need it to pick region and item.
 * - Case actions: the counter that opened the case may read, update the applicant's fields, chat,
 *   capture material, sign, rate and leave the queue; a clerk of the serving region assigned to
 *   the case's item may read a case nobody holds yet (the queue summary it decides to accept on)
 *   and accept it; only the clerk HOLDING the case (`clerkId`) may read it once held, update,
 *   transition, capture, issue, chat, join media and end the session. Admins of either region
 *   may read cases (masked, see `caseView`) but never act on them, and never read the chat.
 * - Case fields have owners (fieldOwner, AUTHORITY_FIELDS): what the authority states (办理意见 `note`, 办理结果
 *   `result`, anything under `authority.`) is written by the holding clerk alone; everything else
 *   is the application form, which the applicant side (its counter) and the holding clerk fill in.
 *   Documents print authority fields only (see issuing/buildDocumentInput).
 * - Queue: only clerks watch the queue (`queue.subscribe`); an entry shows to those who may
 *   `queue.read` it. Only a counter terminal opens cases (`requireCounter`), and only from the hall
 *   the catalogue registered it in (`counter.act`).
 *
 * Two ways to be refused: `authorize` (the edge, before a use case runs) answers only "not allowed";
 * `authorizeWithReason` (a use case, on the committed record) says why in words the person can act
 * on (not a party of the case, the other side's action, not your region or items). Same decisions.
 * Not here: the `/metrics` bearer token (http/metricsAccess.ts) — that proves who the scraper is
 * (authentication, like a session cookie), it grants no principal anything.
 */

/** Every action the policy knows; a matrix test iterates this list. */
export const ACTIONS = [
  'catalog.read',
  'catalog.write',
  'partnership.write',
  'staff.invite',
  'staff.list',
  'staff.revoke',
  'counter.register',
  'counter.list',
  'counter.revoke',
  'case.open',
  'case.read',
  'case.update',
  'case.transition',
  'case.sign',
  'rating.submit',
  'queue.leave',
  'material.capture',
  'material.read',
  'document.issue',
  'document.print',
  'document.reprint',
  'chat.send',
  'chat.read',
  'call.mode',
  'marks.draw',
  'identity.card',
  'identity.photo',
  'identity.verify',
  'form.fill',
  'queue.read',
  'queue.subscribe',
  'queue.accept',
  'material.waive',
  'counter.act',
  'session.join',
  'session.end',
  'desk.join',
  'desk.link',
  'evidence.export',
  'recording.view',
  'stats.read',
  'archive.search',
  'archive.material.read',
  'archive.chat.read',
  'rating.follow_up',
  'clerk.availability',
  'clerk.history',
  'case.transfer',
] as const;

/** One authorizable action. */
export type Action = (typeof ACTIONS)[number];

/** The region code that stands for "every region" in an administrator's `regionCodes`. */
export const ANY_REGION = '*';

/** Facts about a case that authorization needs (for `case.open`: the case about to be created). */
export interface CaseFacts {
  /** Region whose clerks serve the case (the remote side). */
  servingRegion: string;
  /** Region of the hall where the applicant stands (the counter's region). */
  applicantRegion: string;
  /** Counter terminal that opened the case. */
  counterId: string;
  /** Service item code. */
  itemCode: string;
  /** Clerk holding the case once accepted. */
  clerkId?: string;
  /** The case's id, when it exists: named in a refusal's details. */
  caseId?: string;
}

/** Where the catalogue registered a counter terminal (its hall and the hall's region). */
export interface CounterRegistration {
  counterId: string;
  hallId: string;
  regionCode: string;
}

/** A side of a case: the counter that opened it or the clerk holding it. */
export type CaseSide = 'counter' | 'clerk';

/** The resource each action is checked against. */
export interface ActionResources {
  'catalog.read': { regionCode: string };
  'catalog.write': { regionCode: string };
  'partnership.write': { regionCodes: string[] };
  'staff.invite': { regionCodes: string[] };
  'staff.list': { regionCodes: string[] };
  'staff.revoke': { regionCodes: string[] };
  'counter.register': { regionCode: string };
  'counter.list': { regionCode: string };
  'counter.revoke': { regionCode: string };
  'case.open': { case: CaseFacts };
  'case.read': { case: CaseFacts };
  /** `fields`: the keys being set or removed; each is checked against its owner. */
  'case.update': { case: CaseFacts; fields?: readonly string[] };
  'case.transition': { case: CaseFacts };
  'case.sign': { case: CaseFacts };
  'rating.submit': { case: CaseFacts };
  'queue.leave': { case: CaseFacts };
  'material.capture': { case: CaseFacts };
  'material.read': { case: CaseFacts };
  'document.issue': { case: CaseFacts };
  /** Printing an issued document of the case at the counter (token, confirm, report). */
  'document.print': { case: CaseFacts };
  /** Allowing one more print of a document of the case. */
  'document.reprint': { case: CaseFacts; document: { issuedBy: string } };
  'chat.send': { case: CaseFacts };
  /** Proposing the call's media mode from one's own measurements (#17's ladder). */
  'call.mode': { case: CaseFacts };
  /** Pointing at the 高拍仪 picture (marks both sides see; not stored). */
  'marks.draw': { case: CaseFacts };
  /** 人证核验: handing in the ID card the counter's reader read. */
  'identity.card': { case: CaseFacts };
  /** 人证核验: seeing the card's chip photo. */
  'identity.photo': { case: CaseFacts };
  /** 人证核验: recording whether the person is the card's holder. */
  'identity.verify': { case: CaseFacts };
  /** 同屏帮办: filling an entry of the application form. */
  'form.fill': { case: CaseFacts };
  'chat.read': { case: CaseFacts };
  'queue.read': { queue: { servingRegion: string; itemCode: string } };
  /** Watching the queue at all; which entries show is `queue.read`'s. */
  'queue.subscribe': Record<string, never>;
  'queue.accept': { case: CaseFacts };
  /** 容缺受理 of a missing mandatory material. */
  'material.waive': { case: CaseFacts };
  /** A terminal acting from where the catalogue registered it (its credential must agree). */
  'counter.act': { registration: CounterRegistration };
  'session.join': { case: CaseFacts };
  'session.end': { case: CaseFacts };
  /** A clerk's standby media (no case yet). */
  'desk.join': Record<string, never>;
  /** Linking the clerk's desk to the call of a case. */
  'desk.link': { case: CaseFacts };
  /** Taking a case's evidence bundle (record, audit chain, materials, chat, documents, recordings) out of the system. */
  'evidence.export': { case: CaseFacts };
  /** Listing, playing or exporting the recorded segments of a case's session. */
  'recording.view': { case: CaseFacts };
  /** A partnership's figures: its two regions. */
  'stats.read': { regionCodes: readonly string[] };
  /** Searching a partnership's cases (办件档案): its two regions. Each case found is then `case.read`. */
  'archive.search': { regionCodes: readonly string[] };
  /** Opening a material of a case from its archive page (each view is in the case's audit chain). */
  'archive.material.read': { case: CaseFacts };
  /** Reading a case's conversation from its archive page (each reading is in the case's audit chain). */
  'archive.chat.read': { case: CaseFacts };
  /** A clerk's own 示忙/示闲. */
  'clerk.availability': Record<string, never>;
  /** 转办: the holding clerk hands the case to a colleague (who must serve it: see transferCase). */
  'case.transfer': { case: CaseFacts };
  /** A clerk's own list of the cases it accepted (each case is then `case.read`). */
  'clerk.history': Record<string, never>;
  /** The 整改 of a 差评: the case and which side was rated. */
  'rating.follow_up': { case: CaseFacts; target: 'clerk' | 'counter' };
}

/** The resource type of action `A`. */
export type ResourceFor<A extends Action> = ActionResources[A];

type Known = Exclude<Principal, { kind: 'anonymous' }>;

/** True when `p` is an administrator managing `regionCode` (`'*'` admins manage every region). */
export function managesRegion(p: Principal, regionCode: string): boolean {
  if (p.kind !== 'staff' || p.role !== 'admin') return false;
  return p.regionCodes.includes(ANY_REGION) || p.regionCodes.includes(regionCode);
}

function managesAll(p: Known, regionCodes: readonly string[]): boolean {
  return regionCodes.length > 0 && regionCodes.every((r) => managesRegion(p, r));
}

function isClerkFor(p: Known, c: CaseFacts): boolean {
  return p.kind === 'staff' && p.role === 'clerk' && p.regionCode === c.servingRegion && p.itemCodes.includes(c.itemCode);
}

function holds(p: Known, c: CaseFacts): boolean {
  return isClerkFor(p, c) && p.kind === 'staff' && c.clerkId !== undefined && c.clerkId === p.staffId;
}

function ownsCase(p: Known, c: CaseFacts): boolean {
  return p.kind === 'counter' && c.counterId === p.counterId && c.applicantRegion === p.regionCode;
}

function adminOfCase(p: Known, c: CaseFacts): boolean {
  return managesRegion(p, c.servingRegion) || managesRegion(p, c.applicantRegion);
}

/**
 * The actions of the two parties of a case and which side takes each: the rules below and the
 * refusal's words ("此操作只能由申请窗口进行") both come from this one table.
 */
const PARTY_ACTIONS = {
  // Both sides, each its own fields: the rule is case.update's own (field owners).
  'case.update': ['counter', 'clerk'],
  'case.transition': ['clerk'],
  'material.waive': ['clerk'],
  'case.sign': ['counter'],
  'rating.submit': ['counter'],
  'queue.leave': ['counter'],
  'material.capture': ['counter', 'clerk'],
  // Captured materials are ID cards and bank cards: only the two sides handling the case see
  // them — not every clerk of the item, not administrators.
  'material.read': ['counter', 'clerk'],
  'document.issue': ['clerk'],
  'chat.send': ['counter', 'clerk'],
  // Each side proposes for its own path only; the side is the caller's, never the message's.
  'call.mode': ['counter', 'clerk'],
  // The clerk guides; the counter's side sees the marks.
  'marks.draw': ['clerk'],
  // 人证核验: the counter reads the applicant's card; the clerk holding the case compares its chip
  // photo with the live face and alone decides. The photo is a biometric: not the item's other
  // clerks, not administrators, not the counter (which holds the card itself).
  'identity.card': ['counter'],
  'identity.photo': ['clerk'],
  'identity.verify': ['clerk'],
  // 同屏帮办: the form is filled together — the counter for the applicant, the clerk holding the
  // case correcting it — each entry under its own compare-and-set.
  'form.fill': ['counter', 'clerk'],
  // Chat carries what people say on a call (a bank card number read out): the two sides only.
  'chat.read': ['counter', 'clerk'],
  'session.join': ['counter', 'clerk'],
  'session.end': ['clerk'],
  'desk.link': ['clerk'],
  'case.transfer': ['clerk'],
} as const satisfies Partial<Record<Action, readonly CaseSide[]>>;

function isParty(p: Known, c: CaseFacts, sides: readonly CaseSide[]): boolean {
  return (sides.includes('clerk') && holds(p, c)) || (sides.includes('counter') && ownsCase(p, c));
}

const party = (action: PartyAction) => (p: Known, r: { case: CaseFacts }) => isParty(p, r.case, PARTY_ACTIONS[action]);

/**
 * The side of the case `principal` claims to be, by identity alone (its counter id, or the
 * holding clerk's staff id) — for naming a refusal and the author of a chat line; whether it may
 * act is `can`'s, which also checks region and items.
 */
export function caseSide(principal: Principal, facts: CaseFacts): CaseSide | undefined {
  if (principal.kind === 'counter' && principal.counterId === facts.counterId) return 'counter';
  if (principal.kind === 'staff' && principal.role === 'clerk' && facts.clerkId !== undefined && principal.staffId === facts.clerkId) return 'clerk';
  return undefined;
}

const RULES: { [A in Action]: (p: Known, r: ResourceFor<A>) => boolean } = {
  'catalog.read': () => true,
  'catalog.write': (p, r) => managesRegion(p, r.regionCode),
  'partnership.write': (p, r) => managesAll(p, r.regionCodes),
  'staff.invite': (p, r) => managesAll(p, r.regionCodes),
  'staff.list': (p, r) => managesAll(p, r.regionCodes),
  'staff.revoke': (p, r) => managesAll(p, r.regionCodes),
  'counter.register': (p, r) => managesRegion(p, r.regionCode),
  'counter.list': (p, r) => managesRegion(p, r.regionCode),
  'counter.revoke': (p, r) => managesRegion(p, r.regionCode),
  'case.open': (p, r) => ownsCase(p, r.case),
  // Once a clerk holds the case, the others of the item see nothing more of it: the call's chat
  // and in-session detail belong to the two sides handling it.
  'case.read': (p, r) => holds(p, r.case) || (isClerkFor(p, r.case) && r.case.clerkId === undefined) || ownsCase(p, r.case) || adminOfCase(p, r.case),
  'case.update': (p, r) => holds(p, r.case) || (ownsCase(p, r.case) && (r.fields ?? []).every((k) => fieldOwner(k) === 'applicant')),
  'case.transition': party('case.transition'),
  'case.sign': party('case.sign'),
  'rating.submit': party('rating.submit'),
  'queue.leave': party('queue.leave'),
  'material.capture': party('material.capture'),
  'material.read': party('material.read'),
  'material.waive': party('material.waive'),
  'document.issue': party('document.issue'),
  // 统一窗口出件: the applicant's counter prints what the remote clerk issued.
  'document.print': (p, r) => ownsCase(p, r.case),
  // Only the clerk who signed it, while holding its case: a reprint is a second copy of their document.
  'document.reprint': (p, r) => holds(p, r.case) && p.kind === 'staff' && p.staffId === r.document.issuedBy,
  'chat.send': party('chat.send'),
  'call.mode': party('call.mode'),
  'marks.draw': party('marks.draw'),
  'identity.card': party('identity.card'),
  'identity.photo': party('identity.photo'),
  'identity.verify': party('identity.verify'),
  'form.fill': party('form.fill'),
  'chat.read': party('chat.read'),
  'queue.read': (p, r) =>
    (p.kind === 'staff' && p.role === 'clerk' && p.regionCode === r.queue.servingRegion && p.itemCodes.includes(r.queue.itemCode)) ||
    managesRegion(p, r.queue.servingRegion),
  // Watching the queue is the clerk page's job; no administrator or counter page subscribes.
  'queue.subscribe': (p) => p.kind === 'staff' && p.role === 'clerk',
  // Any clerk serving the item may try; the accept use case lets exactly one win and answers the
  // others CASE_ALREADY_ACCEPTED, which tells a late clerk more than FORBIDDEN would.
  'queue.accept': (p, r) => isClerkFor(p, r.case),
  // The device credential and the catalogue must agree on where this counter stands: a terminal
  // moved to another hall (or a forged credential) opens nothing until an administrator re-registers it.
  'counter.act': (p, r) =>
    p.kind === 'counter' && p.counterId === r.registration.counterId && p.hallId === r.registration.hallId && p.regionCode === r.registration.regionCode,
  'session.join': party('session.join'),
  'session.end': party('session.end'),
  // Any clerk may keep a desk; nothing reaches it until a case it holds is linked.
  'desk.join': (p) => p.kind === 'staff' && p.role === 'clerk',
  'desk.link': party('desk.link'),
  // The whole file of a case, the applicant's ID card and recordings included; and the session's
  // pictures and voices, as sensitive as the bundle that carries them: one rule (custodian).
  'evidence.export': (p, r) => custodian(p, r.case),
  'recording.view': (p, r) => custodian(p, r.case),
  // 好差评 and case figures (no personal data): the administrators of either region of the partnership.
  'stats.read': (p, r) => r.regionCodes.some((code) => managesRegion(p, code)),
  // The case archive lists a partnership's cases (names masked, no ID or phone numbers) to the
  // administrators of either region, as `case.read` lets them read each case: the same people.
  'archive.search': (p, r) => r.regionCodes.some((code) => managesRegion(p, code)),
  // The materials of a case (ID card, household register, bank card) opened from its archive page:
  // the serving region's administrators, who keep its file (as they may export it whole).
  'archive.material.read': (p, r) => managesRegion(p, r.case.servingRegion),
  // And its conversation, by the same custodians (the evidence bundle carries it too).
  'archive.chat.read': (p, r) => managesRegion(p, r.case.servingRegion),
  // A 差评 is followed up by the administrators answerable for the side rated: the clerk's
  // serving region, or the counter's (applicant) region.
  'rating.follow_up': (p, r) => managesRegion(p, r.target === 'clerk' ? r.case.servingRegion : r.case.applicantRegion),
  // Only about oneself: the principal is the clerk whose state it is.
  'clerk.availability': (p) => p.kind === 'staff' && p.role === 'clerk',
  'clerk.history': (p) => p.kind === 'staff' && p.role === 'clerk',
  'case.transfer': party('case.transfer'),
};

/**
 * Who keeps a case's evidence: the serving region's administrators (its custodians) and the clerk
 * who handled it — not the applicant side's administrators, not other clerks, not the counter.
 */
function custodian(p: Known, c: CaseFacts): boolean {
  return holds(p, c) || managesRegion(p, c.servingRegion);
}

/** Who may write a case field: the serving authority (the holding clerk) or the applicant side. */
export type FieldOwner = 'authority' | 'applicant';

/**
 * Case fields the authority states: printed on signed documents, so written by the clerk holding
 * the case alone. Every other key is the application form (申请表), declared by the applicant.
 */
export const AUTHORITY_FIELDS: ReadonlySet<string> = new Set(['note', 'result']);
/** Prefix of further authority-owned keys (e.g. `authority.basis`). */
export const AUTHORITY_FIELD_PREFIX = 'authority.';

/** The owner of case field `key`. */
export function fieldOwner(key: string): FieldOwner {
  return AUTHORITY_FIELDS.has(key) || key.startsWith(AUTHORITY_FIELD_PREFIX) ? 'authority' : 'applicant';
}

/**
 * Throws unless `principal` may write every one of `keys` on the case: FORBIDDEN as `authorize`
 * does when it may not edit the case at all, CASE_FIELD_NOT_OWNED (403, `details.fields`) when
 * it may edit the case but some keys belong to the authority.
 */
export function authorizeFieldWrite(principal: Principal, facts: CaseFacts, keys: readonly string[]): void {
  authorizeWithReason(principal, 'case.update', { case: facts });
  if (can(principal, 'case.update', { case: facts, fields: keys })) return;
  const fields = keys.filter((k) => fieldOwner(k) === 'authority');
  throw new AppError('CASE_FIELD_NOT_OWNED', `“办理意见”“办理结果”等由受理地工作人员填写，申请地窗口不能修改（${fields.join('、')}）`, 403, { fields });
}

/** An administrator principal. */
export type AdminPrincipal = Extract<Principal, { kind: 'staff'; role: 'admin' }>;

/**
 * Throws unless `principal` is an administrator (UNAUTHENTICATED / FORBIDDEN); the gate in front
 * of admin routes, before any resource is looked up, so non-admins cannot probe for existence.
 */
export function requireAdmin(principal: Principal): asserts principal is AdminPrincipal {
  if (principal.kind === 'anonymous') throw signInRequired(principal);
  if (principal.kind !== 'staff' || principal.role !== 'admin') {
    throw new AppError('FORBIDDEN', '仅管理员可执行此操作 (administrators only)', 403);
  }
}

/**
 * Throws unless `principal` may change catalogue entries touching `regionCodes` (the admin
 * catalogue API's gate): none — any administrator (reading, or national standard data nobody
 * serves yet); one — an administrator managing it; several — one managing every one of them, as
 * for a partnership.
 */
export function authorizeCatalogChange(principal: Principal, regionCodes: readonly string[]): void {
  if (regionCodes.length > 1) {
    authorize(principal, 'partnership.write', { regionCodes: [...regionCodes] });
    return;
  }
  const [regionCode] = regionCodes;
  if (regionCode) {
    authorize(principal, 'catalog.write', { regionCode });
    return;
  }
  // No region: any administrator; anyone else is refused as for a region nobody manages.
  if (principal.kind !== 'staff' || principal.role !== 'admin') authorize(principal, 'catalog.write', { regionCode: '' });
}

/** A counter terminal principal. */
export type CounterPrincipal = Extract<Principal, { kind: 'counter' }>;

/** What only a counter terminal does, each with the words of its refusal. */
const COUNTER_PURPOSES = {
  'case.open': '只有跨域通办窗口终端可以发起办件',
  'counter.offers': '此页面仅供已登记的跨域通办窗口终端使用',
} as const;

/**
 * Throws unless `principal` is a counter terminal: the gate in front of what only a terminal does
 * (opening a case, the offers page), before anything is looked up by its counter id. Anonymous
 * callers get UNAUTHENTICATED (401) — with the page's words for `counter.offers`, whose page
 * shows them — everyone else FORBIDDEN (403).
 */
export function requireCounter(principal: Principal, purpose: keyof typeof COUNTER_PURPOSES): asserts principal is CounterPrincipal {
  if (principal.kind === 'counter') return;
  if (principal.kind === 'anonymous') throw purpose === 'counter.offers' ? new AppError('UNAUTHENTICATED', COUNTER_PURPOSES[purpose], 401) : signInRequired(principal);
  throw new AppError('FORBIDDEN', COUNTER_PURPOSES[purpose], 403);
}

/** A clerk principal. */
export type ClerkPrincipal = Extract<Principal, { kind: 'staff'; role: 'clerk' }>;

/**
 * `authorizeWithReason` for an action only a clerk can pass (issuing a document, approving its
 * reprint), telling the compiler so: the use case then reads the clerk's id and name without a
 * check of its own.
 */
export function authorizeClerkAction<A extends 'document.issue' | 'document.reprint'>(principal: Principal, action: A, resource: ResourceFor<A>): asserts principal is ClerkPrincipal {
  authorizeWithReason(principal, action, resource);
  // Unreachable: these rules admit the holding clerk only.
  if (principal.kind !== 'staff' || principal.role !== 'clerk') throw notAllowed(action);
}

/** `authorizeWithReason` for an action only a counter terminal can pass (printing), narrowing the principal. */
export function authorizeCounterAction<A extends 'document.print'>(principal: Principal, action: A, resource: ResourceFor<A>): asserts principal is CounterPrincipal {
  authorizeWithReason(principal, action, resource);
  // Unreachable: the rule admits the case's counter only.
  if (principal.kind !== 'counter') throw notAllowed(action);
}

/** `authorizeWithReason` for what only a clerk does with no case yet (watching the queue), narrowing the principal. */
export function requireClerk(principal: Principal, action: 'queue.subscribe' | 'clerk.availability' | 'clerk.history'): asserts principal is ClerkPrincipal {
  authorizeWithReason(principal, action, {});
  // Unreachable: the rule admits clerks only. Refused rather than assumed all the same.
  if (principal.kind !== 'staff' || principal.role !== 'clerk') throw notAllowed(action);
}

/** True when `principal` may perform `action` on `resource` (never throws). */
export function can<A extends Action>(principal: Principal, action: A, resource: ResourceFor<A>): boolean {
  if (principal.kind === 'anonymous') return false;
  const rule = RULES[action] as ((p: Known, r: ResourceFor<A>) => boolean) | undefined;
  return rule !== undefined && rule(principal, resource);
}

/**
 * Throws unless `principal` may perform `action` on `resource`: `UNAUTHENTICATED` (401, with
 * `details.reason` when a session/device cookie was presented but is no longer valid) for an
 * anonymous principal, `FORBIDDEN` (403) otherwise.
 */
export function authorize<A extends Action>(principal: Principal, action: A, resource: ResourceFor<A>): void {
  if (principal.kind === 'anonymous') throw signInRequired(principal);
  if (!can(principal, action, resource)) throw notAllowed(action);
}

function signInRequired(principal: Extract<Principal, { kind: 'anonymous' }>): AppError {
  return new AppError('UNAUTHENTICATED', '请先登录 (sign-in required)', 401, principal.reason ? { reason: principal.reason } : undefined);
}

function notAllowed(action: Action): AppError {
  return new AppError('FORBIDDEN', '无权执行此操作 (not allowed)', 403, { action });
}

/**
 * The same decision as `authorize`, but a refusal says why: not a party of the case, an action of
 * the other side, a case outside the clerk's region or items, a terminal whose registration does
 * not match. For use cases deciding on the committed record; the edge keeps `authorize`'s
 * "not allowed", which tells an outsider nothing.
 */
export function authorizeWithReason<A extends Action>(principal: Principal, action: A, resource: ResourceFor<A>): void {
  if (principal.kind === 'anonymous' || can(principal, action, resource)) {
    authorize(principal, action, resource);
    return;
  }
  throw refusalOf(principal, action, resource);
}

/**
 * Throws FORBIDDEN (with the reason in `details`) unless `principal` may list, play or export the
 * recordings of the case: the serving region's administrators and the clerk who handled it.
 */
export function authorizeRecordingAccess(principal: Principal, facts: CaseFacts): void {
  authorizeWithReason(principal, 'recording.view', { case: facts });
}

/** An action taken by a party of a case (its counter or its holding clerk). */
export type PartyAction = keyof typeof PARTY_ACTIONS;

/**
 * `authorizeWithReason` for an action of a case's parties, on the case's facts; returns the side
 * the principal acts as (a chat line's author, for one).
 */
export function authorizeParty(principal: Principal, action: PartyAction, facts: CaseFacts): CaseSide {
  authorizeWithReason<PartyAction>(principal, action, { case: facts });
  const side = caseSide(principal, facts);
  // Unreachable: every party rule admits a side only. Refused rather than assumed all the same.
  if (!side) throw notAllowed(action);
  return side;
}

const SIDE_NAMES: Record<CaseSide, string> = { counter: '申请窗口', clerk: '受理人员' };

function refusalOf<A extends Action>(p: Known, action: A, resource: ResourceFor<A>): AppError {
  const facts = 'case' in resource ? (resource.case as CaseFacts) : undefined;
  const caseId = facts?.caseId !== undefined ? { caseId: facts.caseId } : undefined;
  switch (action) {
    case 'queue.accept':
      if (p.kind !== 'staff' || p.role !== 'clerk') return new AppError('FORBIDDEN', '只有受理人员可以接入办件', 403);
      return new AppError('FORBIDDEN', '此办件不属于您负责的地区或事项', 403, caseId);
    case 'queue.subscribe':
      return new AppError('FORBIDDEN', '只有异地窗口工作人员可以查看待受理队列', 403);
    case 'clerk.availability':
      return new AppError('FORBIDDEN', '只有异地窗口工作人员可以示忙或示闲', 403);
    case 'clerk.history':
      return new AppError('FORBIDDEN', '只有异地窗口工作人员有“我的办件”', 403);
    case 'counter.act':
      if (p.kind !== 'counter' || !('registration' in resource)) break;
      return new AppError('FORBIDDEN', '窗口终端登记信息与所属大厅不一致，请联系管理员', 403, { counterId: (resource.registration as CounterRegistration).counterId });
    case 'document.print':
      return new AppError('FORBIDDEN', '只有申请地窗口终端可以打印', 403, caseId);
    case 'document.reprint':
      return new AppError('FORBIDDEN', '只有出具该文书的工作人员可以批准重新打印', 403, caseId);
    case 'recording.view':
      return new AppError('FORBIDDEN', '无权查看此办件的录像：仅限办理地区管理员和受理该办件的工作人员', 403, { ...caseId, reason: 'not_custodian' });
    case 'archive.search':
      return new AppError('FORBIDDEN', '只能查询本地区参与的合作关系的办件', 403);
    case 'archive.material.read':
      return new AppError('FORBIDDEN', '材料内容仅限办理地区的管理员在办件档案中查看', 403, { ...caseId, reason: 'not_custodian' });
    case 'archive.chat.read':
      return new AppError('FORBIDDEN', '会话记录仅限办理地区的管理员在办件档案中查看', 403, { ...caseId, reason: 'not_custodian' });
    case 'case.read':
      // The archive's case page: an administrator of neither region of the case.
      if (p.kind === 'staff' && p.role === 'admin') return new AppError('FORBIDDEN', '此办件不属于您管理的地区，无权查看', 403, caseId);
      break;
    case 'stats.read':
      return new AppError('FORBIDDEN', '只能查看本地区参与的合作关系的统计', 403);
    case 'rating.follow_up':
      return new AppError('FORBIDDEN', '差评整改由被评价一方所在地区的管理员填写', 403, caseId);
    case 'desk.link':
      if (facts && caseSide(p, facts) === 'counter') return new AppError('FORBIDDEN', '只有受理该办件的工作人员可以接入 (clerks only)', 403);
      break;
  }
  const sides: readonly CaseSide[] | undefined = (PARTY_ACTIONS as Partial<Record<Action, readonly CaseSide[]>>)[action];
  if (facts && sides) {
    const side = caseSide(p, facts);
    if (!side) return new AppError('FORBIDDEN', '您不是此案件的办理方，无权进行此操作', 403, caseId);
    if (!sides.includes(side)) return new AppError('FORBIDDEN', `此操作只能由${sides.map((s) => SIDE_NAMES[s]).join('或')}进行`, 403, { ...caseId, side });
  }
  // A party on its own side refused all the same (a clerk no longer assigned the item): nothing more to say.
  return notAllowed(action);
}

/**
 * How much personal data of a case `principal` may see: `'full'` only for the clerk holding it
 * (who looks the applicant up in the serving region's systems), `'masked'` for everyone else —
 * including the counter, whose screen stands in a public hall while the applicant holds the ID
 * card anyway. toCaseView further limits `'full'` to the handling states.
 */
export function caseView(principal: Principal, facts: CaseFacts): 'full' | 'masked' {
  if (principal.kind === 'anonymous') return 'masked';
  return holds(principal, facts) ? 'full' : 'masked';
}

/**
 * The case states in which each side may be in the case's call. The counter may connect while
 * its case waits (its tracks paused: nobody can consume them before a clerk accepts), so accepting
 * only has to resume them; the clerk joins once it holds the case. A closed case has no call.
 */
const MEDIA_STATES: Readonly<Record<CaseSide, ReadonlySet<string>>> = {
  counter: new Set(['queued', 'in_session', 'pending_materials', 'suspended']),
  clerk: new Set(['in_session', 'pending_materials', 'suspended']),
};

/** Whether a case in `state` lets `principal` (already allowed `session.join`) into its media session. */
export function mediaOpenIn(principal: Principal, state: string): boolean {
  return MEDIA_STATES[principal.kind === 'counter' ? 'counter' : 'clerk'].has(state);
}

/**
 * The region whose nodes take `principal`'s socket and media: a counter's hall region, a clerk's
 * own region. Administrators (no media, any region's pages) and anonymous callers have none.
 */
export function homeRegionOf(principal: Principal): string | undefined {
  if (principal.kind === 'counter') return principal.regionCode;
  if (principal.kind === 'staff' && principal.role === 'clerk') return principal.regionCode;
  return undefined;
}

/**
 * Whether a node serving `nodeRegions` takes `principal`'s socket: a node serving every region
 * (`*`) takes anyone; a regional node only its own region's counters and clerks (their media is
 * meant to live in their region), and administrators.
 */
export function nodeAdmits(principal: Principal, nodeRegions: readonly string[]): boolean {
  if (nodeRegions.includes(ANY_REGION)) return true;
  const home = homeRegionOf(principal);
  return home === undefined || nodeRegions.includes(home);
}

/** Refuses (FORBIDDEN, reason `region_not_served`) a socket this node does not take: see {@link nodeAdmits}. */
export function authorizeNodeAdmission(principal: Principal, nodeRegions: readonly string[]): void {
  if (!nodeAdmits(principal, nodeRegions)) {
    throw new AppError('FORBIDDEN', '本节点不为您所在的地区提供服务，请使用本地区的访问地址 (region not served by this node)', 403, { reason: 'region_not_served' });
  }
}
