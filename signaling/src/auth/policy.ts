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
  'chat.send',
  'chat.read',
  'queue.read',
  'queue.accept',
  'session.join',
  'session.end',
  'desk.join',
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
}

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
  'chat.send': { case: CaseFacts };
  'chat.read': { case: CaseFacts };
  'queue.read': { queue: { servingRegion: string; itemCode: string } };
  'queue.accept': { case: CaseFacts };
  'session.join': { case: CaseFacts };
  'session.end': { case: CaseFacts };
  /** A clerk's standby media (no case yet). */
  'desk.join': Record<string, never>;
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
  'case.transition': (p, r) => holds(p, r.case),
  'case.sign': (p, r) => ownsCase(p, r.case),
  'rating.submit': (p, r) => ownsCase(p, r.case),
  'queue.leave': (p, r) => ownsCase(p, r.case),
  'material.capture': (p, r) => holds(p, r.case) || ownsCase(p, r.case),
  // Captured materials are ID cards and bank cards: only the two sides handling the case see
  // them — not every clerk of the item, not administrators.
  'material.read': (p, r) => holds(p, r.case) || ownsCase(p, r.case),
  'document.issue': (p, r) => holds(p, r.case),
  'chat.send': (p, r) => holds(p, r.case) || ownsCase(p, r.case),
  // Chat carries what people say on a call (a bank card number read out): the two sides only.
  'chat.read': (p, r) => holds(p, r.case) || ownsCase(p, r.case),
  'queue.read': (p, r) =>
    (p.kind === 'staff' && p.role === 'clerk' && p.regionCode === r.queue.servingRegion && p.itemCodes.includes(r.queue.itemCode)) ||
    managesRegion(p, r.queue.servingRegion),
  // Any clerk serving the item may try; the accept use case lets exactly one win and answers the
  // others CASE_ALREADY_ACCEPTED, which tells a late clerk more than FORBIDDEN would.
  'queue.accept': (p, r) => isClerkFor(p, r.case),
  'session.join': (p, r) => holds(p, r.case) || ownsCase(p, r.case),
  'session.end': (p, r) => holds(p, r.case),
  // Any clerk may keep a desk; nothing reaches it until a case it holds is linked.
  'desk.join': (p) => p.kind === 'staff' && p.role === 'clerk',
};

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
  authorize(principal, 'case.update', { case: facts });
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
  if (principal.kind === 'anonymous') authorize(principal, 'staff.list', { regionCodes: [] });
  if (principal.kind !== 'staff' || principal.role !== 'admin') {
    throw new AppError('FORBIDDEN', '仅管理员可执行此操作 (administrators only)', 403);
  }
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
  if (principal.kind === 'anonymous') {
    throw new AppError('UNAUTHENTICATED', '请先登录 (sign-in required)', 401, principal.reason ? { reason: principal.reason } : undefined);
  }
  if (!can(principal, action, resource)) {
    throw new AppError('FORBIDDEN', '无权执行此操作 (not allowed)', 403, { action });
  }
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
