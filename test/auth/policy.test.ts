import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '@rvw/signaling/errors/AppError';
import {
  ACTIONS,
  authorize,
  authorizeParty,
  authorizeRecordingAccess,
  authorizeWithReason,
  authorizeCatalogChange,
  authorizeNodeAdmission,
  can,
  caseView,
  requireAdmin,
  requireClerk,
  requireCounter,
  type Action,
  type CaseFacts,
  type CounterRegistration,
  type ResourceFor,
} from '@rvw/signaling/auth/policy';
import type { Principal } from '@rvw/signaling/auth/Principal';

/*
 * The reviewed authorization spec. Regions: A serves (its clerks handle the case), B is the
 * applicant side (the case was opened at counter ctr-B1 in hall H-B1 of region B).
 * In the brief's words: "counter owning the case" = counterB1, "counter of the same region, other
 * hall / not owner" = counterB2, "counter of the other region" = counterA.
 */
const PRINCIPALS = {
  adminA: { kind: 'staff', role: 'admin', staffId: 'adm-a', name: '甲管理员', regionCodes: ['A'] },
  adminB: { kind: 'staff', role: 'admin', staffId: 'adm-b', name: '乙管理员', regionCodes: ['B'] },
  adminAll: { kind: 'staff', role: 'admin', staffId: 'adm-all', name: '省级管理员', regionCodes: ['*'] },
  clerkAX: { kind: 'staff', role: 'clerk', staffId: 'clk-ax', name: '甲窗口X', regionCode: 'A', itemCodes: ['X'] },
  clerkAX2: { kind: 'staff', role: 'clerk', staffId: 'clk-ax2', name: '甲窗口X2', regionCode: 'A', itemCodes: ['Y', 'X'] },
  clerkAY: { kind: 'staff', role: 'clerk', staffId: 'clk-ay', name: '甲窗口Y', regionCode: 'A', itemCodes: ['Y'] },
  clerkBX: { kind: 'staff', role: 'clerk', staffId: 'clk-bx', name: '乙窗口X', regionCode: 'B', itemCodes: ['X'] },
  counterB1: { kind: 'counter', counterId: 'ctr-B1', hallId: 'H-B1', regionCode: 'B', name: '乙1号窗' },
  counterB2: { kind: 'counter', counterId: 'ctr-B2', hallId: 'H-B2', regionCode: 'B', name: '乙2号窗' },
  counterA: { kind: 'counter', counterId: 'ctr-A1', hallId: 'H-A1', regionCode: 'A', name: '甲1号窗' },
  anonymous: { kind: 'anonymous' },
} satisfies Record<string, Principal>;

type Who = keyof typeof PRINCIPALS;
const COLUMNS = Object.keys(PRINCIPALS) as Who[];

/** A case in A's queue (not accepted yet) and the same case held by clerkAX. */
const queued: CaseFacts = { servingRegion: 'A', applicantRegion: 'B', counterId: 'ctr-B1', itemCode: 'X' };
const held: CaseFacts = { ...queued, clerkId: 'clk-ax' };
/** Where the catalogue registered ctr-B1 (hall H-B1 of region B) — and a terminal moved to hall H-B2. */
const registeredB1: CounterRegistration = { counterId: 'ctr-B1', hallId: 'H-B1', regionCode: 'B' };
const movedB2: CounterRegistration = { counterId: 'ctr-B2', hallId: 'H-B1', regionCode: 'B' };

interface Row {
  action: Action;
  label: string;
  resource: unknown;
  expect: string;
}
const row = <A extends Action>(action: A, label: string, resource: ResourceFor<A>, expect: string): Row => ({ action, label, resource, expect });

// Columns:                                                    aA aB a* cAX cAX2 cAY cBX kB1 kB2 kA anon
const MATRIX: Row[] = [
  row('catalog.read', 'region A', { regionCode: 'A' },          'Y  Y  Y  Y   Y    Y   Y   Y   Y   Y  .'),
  row('catalog.write', 'region A', { regionCode: 'A' },         'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('catalog.write', 'region B', { regionCode: 'B' },         '.  Y  Y  .   .    .   .   .   .   .  .'),
  row('partnership.write', 'A+B', { regionCodes: ['A', 'B'] },  '.  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.invite', 'into A', { regionCodes: ['A'] },         'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.invite', 'admin of A+B', { regionCodes: ['A', 'B'] }, '.  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.invite', 'provincial admin', { regionCodes: ['*'] }, '.  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.list', 'staff of A', { regionCodes: ['A'] },       'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.list', 'staff of B', { regionCodes: ['B'] },       '.  Y  Y  .   .    .   .   .   .   .  .'),
  row('staff.revoke', 'staff of A', { regionCodes: ['A'] },     'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('staff.revoke', 'provincial admin', { regionCodes: ['*'] }, '.  .  Y  .   .    .   .   .   .   .  .'),
  row('counter.register', 'hall in A', { regionCode: 'A' },     'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('counter.list', 'region A', { regionCode: 'A' },          'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('counter.revoke', 'counter in B', { regionCode: 'B' },    '.  Y  Y  .   .    .   .   .   .   .  .'),
  row('case.open', 'new case at ctr-B1', { case: queued },      '.  .  .  .   .    .   .   Y   .   .  .'),
  // Once held, the item's other clerks see nothing of it (chat, in-session detail); while queued they may.
  row('case.read', 'held case', { case: held },                 'Y  Y  Y  Y   .    .   .   Y   .   .  .'),
  row('case.read', 'queued case', { case: queued },             'Y  Y  Y  Y   Y    .   .   Y   .   .  .'),
  row('case.update', 'held case', { case: held },               '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('case.update', 'held case, applicant fields', { case: held, fields: ['statement', 'phone'] }, '.  .  .  Y   .    .   .   Y   .   .  .'),
  // The authority's words (办理意见 / 办理结果): the holding clerk alone, never the counter.
  row('case.update', 'held case, 办理意见', { case: held, fields: ['note'] },  '.  .  .  Y   .    .   .   .   .   .  .'),
  row('case.update', 'held case, authority.*', { case: held, fields: ['phone', 'authority.basis'] }, '.  .  .  Y   .    .   .   .   .   .  .'),
  row('case.update', 'queued case', { case: queued },           '.  .  .  .   .    .   .   Y   .   .  .'),
  row('case.transition', 'held case', { case: held },           '.  .  .  Y   .    .   .   .   .   .  .'),
  row('case.sign', 'held case', { case: held },                 '.  .  .  .   .    .   .   Y   .   .  .'),
  row('rating.submit', 'held case', { case: held },             '.  .  .  .   .    .   .   Y   .   .  .'),
  row('queue.leave', 'queued case', { case: queued },           '.  .  .  .   .    .   .   Y   .   .  .'),
  row('material.capture', 'held case', { case: held },          '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('material.read', 'held case', { case: held },             '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('material.read', 'queued case', { case: queued },         '.  .  .  .   .    .   .   Y   .   .  .'),
  row('document.issue', 'held case', { case: held },            '.  .  .  Y   .    .   .   .   .   .  .'),
  row('chat.send', 'held case', { case: held },                 '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('chat.read', 'held case', { case: held },                 '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('call.mode', 'held case', { case: held },                 '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('marks.draw', 'held case', { case: held },                '.  .  .  Y   .    .   .   .   .   .  .'),
  // 人证核验: the counter hands in the card; the chip photo and the finding are the holding clerk's.
  row('identity.card', 'held case', { case: held },             '.  .  .  .   .    .   .   Y   .   .  .'),
  row('identity.card', 'queued case', { case: queued },         '.  .  .  .   .    .   .   Y   .   .  .'),
  row('identity.photo', 'held case', { case: held },            '.  .  .  Y   .    .   .   .   .   .  .'),
  row('identity.photo', 'queued case', { case: queued },        '.  .  .  .   .    .   .   .   .   .  .'),
  row('identity.verify', 'held case', { case: held },           '.  .  .  Y   .    .   .   .   .   .  .'),
  // 同屏帮办: the form is the two sides' alike; not the item's other clerks, not administrators.
  row('form.fill', 'held case', { case: held },                 '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('form.fill', 'queued case', { case: queued },             '.  .  .  .   .    .   .   Y   .   .  .'),
  row('queue.read', 'A / item X', { queue: { servingRegion: 'A', itemCode: 'X' } }, 'Y  .  Y  Y   Y    .   .   .   .   .  .'),
  row('queue.read', 'B / item X', { queue: { servingRegion: 'B', itemCode: 'X' } }, '.  Y  Y  .   .    .   Y   .   .   .  .'),
  row('queue.accept', 'queued case', { case: queued },          '.  .  .  Y   Y    .   .   .   .   .  .'),
  row('queue.accept', 'case held by clerkAX', { case: held },   '.  .  .  Y   Y    .   .   .   .   .  .'),
  // Only clerks watch the queue (which entries they see is queue.read's, above).
  row('queue.subscribe', 'the queue page', {},                  '.  .  .  Y   Y    Y   Y   .   .   .  .'),
  row('material.waive', 'held case', { case: held },            '.  .  .  Y   .    .   .   .   .   .  .'),
  // A terminal acts only from the hall the catalogue registered it in: ctr-B2's credential says H-B2.
  row('counter.act', 'ctr-B1 registered in H-B1', { registration: registeredB1 }, '.  .  .  .   .    .   .   Y   .   .  .'),
  row('counter.act', 'ctr-B2 registered in H-B1', { registration: movedB2 }, '.  .  .  .   .    .   .   .   .   .  .'),
  row('document.print', 'held case', { case: held },            '.  .  .  .   .    .   .   Y   .   .  .'),
  row('document.reprint', 'issued by clerkAX', { case: held, document: { issuedBy: 'clk-ax' } }, '.  .  .  Y   .    .   .   .   .   .  .'),
  row('document.reprint', 'issued by another clerk', { case: held, document: { issuedBy: 'clk-ax2' } }, '.  .  .  .   .    .   .   .   .   .  .'),
  row('session.join', 'held case', { case: held },              '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('session.end', 'held case', { case: held },               '.  .  .  Y   .    .   .   .   .   .  .'),
  row('desk.join', 'own desk', {},                              '.  .  .  Y   Y    Y   Y   .   .   .  .'),
  row('desk.link', 'held case', { case: held },                 '.  .  .  Y   .    .   .   .   .   .  .'),
  // The whole file (ID card, recordings): the serving region's administrators and the holding clerk only.
  row('evidence.export', 'held case', { case: held },           'Y  .  Y  Y   .    .   .   .   .   .  .'),
  row('evidence.export', 'queued case', { case: queued },       'Y  .  Y  .   .    .   .   .   .   .  .'),
  // Playing the session's recordings: the same custodians, the same clerk.
  row('recording.view', 'held case', { case: held },            'Y  .  Y  Y   .    .   .   .   .   .  .'),
  row('recording.view', 'queued case', { case: queued },        'Y  .  Y  .   .    .   .   .   .   .  .'),
  // A material opened from the archive's case page: the serving region's administrators only (the parties read it in the call).
  row('archive.material.read', 'held case', { case: held },     'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('archive.material.read', 'queued case', { case: queued }, 'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('archive.chat.read', 'held case', { case: held },         'Y  .  Y  .   .    .   .   .   .   .  .'),
  // Figures and 好差评 of a partnership: the administrators of either of its regions, nobody else.
  row('stats.read', 'partnership A+B', { regionCodes: ['A', 'B'] }, 'Y  Y  Y  .   .    .   .   .   .   .  .'),
  row('stats.read', 'partnership B+C', { regionCodes: ['B', 'C'] }, '.  Y  Y  .   .    .   .   .   .   .  .'),
  // 办件档案: a partnership's cases are searched by the administrators of either of its regions (each found case is case.read).
  row('archive.search', 'partnership A+B', { regionCodes: ['A', 'B'] }, 'Y  Y  Y  .   .    .   .   .   .   .  .'),
  row('archive.search', 'partnership B+C', { regionCodes: ['B', 'C'] }, '.  Y  Y  .   .    .   .   .   .   .  .'),
  // 示忙/示闲: any clerk, about itself (the principal is the subject).
  row('clerk.availability', 'own state', {},                    '.  .  .  Y   Y    Y   Y   .   .   .  .'),
  row('case.transfer', 'held case', { case: held },             '.  .  .  Y   .    .   .   .   .   .  .'),
  row('case.transfer', 'queued case', { case: queued },         '.  .  .  .   .    .   .   .   .   .  .'),
  row('clerk.history', 'own cases', {},                         '.  .  .  Y   Y    Y   Y   .   .   .  .'),
  // 整改 of a 差评: the administrators answerable for the side rated.
  row('rating.follow_up', 'clerk rated', { case: held, target: 'clerk' }, 'Y  .  Y  .   .    .   .   .   .   .  .'),
  row('rating.follow_up', 'counter rated', { case: held, target: 'counter' }, '.  Y  Y  .   .    .   .   .   .   .  .'),
];

function cells(r: Row): boolean[] {
  return r.expect.trim().split(/\s+/).map((c) => {
    if (c !== 'Y' && c !== '.') throw new Error(`bad cell ${c} in ${r.action} ${r.label}`);
    return c === 'Y';
  });
}

describe('policy matrix', () => {
  it('every row has one cell per principal, and every Action is specified with both an allow and a deny', () => {
    for (const r of MATRIX) expect(cells(r), `${r.action} ${r.label}`).toHaveLength(COLUMNS.length);
    for (const action of ACTIONS) {
      const rows = MATRIX.filter((r) => r.action === action);
      expect(rows.length, `${action} has no row`).toBeGreaterThan(0);
      const all = rows.flatMap(cells);
      expect(all.includes(true), `${action} never allowed`).toBe(true);
      expect(all.includes(false), `${action} never denied`).toBe(true);
    }
  });

  for (const r of MATRIX) {
    const expected = cells(r);
    COLUMNS.forEach((who, i) => {
      const allow = expected[i];
      it(`${r.action} (${r.label}) by ${who}: ${allow ? 'allow' : 'deny'}`, () => {
        const principal: Principal = PRINCIPALS[who];
        const authorizeAny = authorize as (p: Principal, a: Action, res: unknown) => void;
        const canAny = can as (p: Principal, a: Action, res: unknown) => boolean;
        expect(canAny(principal, r.action, r.resource)).toBe(allow);
        if (allow) {
          expect(() => authorizeAny(principal, r.action, r.resource)).not.toThrow();
        } else {
          let thrown: unknown;
          try {
            authorizeAny(principal, r.action, r.resource);
          } catch (e) {
            thrown = e;
          }
          expect(isAppError(thrown)).toBe(true);
          const err = thrown as { code: string; httpStatus: number };
          if (who === 'anonymous') expect([err.code, err.httpStatus]).toEqual(['UNAUTHENTICATED', 401]);
          else expect([err.code, err.httpStatus]).toEqual(['FORBIDDEN', 403]);
        }
        // The use cases' variant decides the same; only the words differ.
        const withReason = authorizeWithReason as (p: Principal, a: Action, res: unknown) => void;
        if (allow) expect(() => withReason(principal, r.action, r.resource)).not.toThrow();
        else expect(() => withReason(principal, r.action, r.resource)).toThrow(expect.objectContaining({ code: who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' }));
      });
    });
  }
});

describe('policy details', () => {
  it('an anonymous principal with a reason reports it in details.reason', () => {
    expect(() => authorize({ kind: 'anonymous', reason: 'AUTH_SESSION_EXPIRED' }, 'catalog.read', { regionCode: 'A' })).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED', details: { reason: 'AUTH_SESSION_EXPIRED' } }),
    );
  });

  it('a counter cannot open a case in the name of another counter or region', () => {
    expect(can(PRINCIPALS.counterB1, 'case.open', { case: { ...queued, counterId: 'ctr-B2' } })).toBe(false);
    expect(can(PRINCIPALS.counterB1, 'case.open', { case: { ...queued, applicantRegion: 'A' } })).toBe(false);
  });

  it('a clerk who lost the item can no longer act on the case it holds', () => {
    const formerX = { ...PRINCIPALS.clerkAX, itemCodes: ['Y'] };
    expect(can(formerX, 'case.update', { case: held })).toBe(false);
    expect(can(formerX, 'session.join', { case: held })).toBe(false);
  });

  it('an empty region set is managed by nobody', () => {
    expect(can(PRINCIPALS.adminAll, 'staff.invite', { regionCodes: [] })).toBe(false);
  });

  it('caseView: full only for the holding clerk, masked for everybody else (the counter screen is public)', () => {
    const views = Object.fromEntries(COLUMNS.map((w) => [w, caseView(PRINCIPALS[w], held)]));
    expect(views).toEqual({
      adminA: 'masked',
      adminB: 'masked',
      adminAll: 'masked',
      clerkAX: 'full',
      clerkAX2: 'masked',
      clerkAY: 'masked',
      clerkBX: 'masked',
      counterB1: 'masked',
      counterB2: 'masked',
      counterA: 'masked',
      anonymous: 'masked',
    });
  });

  it('requireAdmin: admins pass, staff and counters get FORBIDDEN, anonymous UNAUTHENTICATED', () => {
    expect(() => requireAdmin(PRINCIPALS.adminB)).not.toThrow();
    expect(() => requireAdmin(PRINCIPALS.clerkAX)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireAdmin(PRINCIPALS.counterA)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireAdmin(PRINCIPALS.anonymous)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });
});

/** What a refusal says: code, HTTP status, message, details (undefined: none). */
interface Said {
  code: string;
  httpStatus: number;
  message: string;
  details?: Record<string, unknown>;
}

function refusal(attempt: () => void): Said {
  try {
    attempt();
  } catch (e) {
    expect(isAppError(e)).toBe(true);
    const err = e as Said;
    return { code: err.code, httpStatus: err.httpStatus, message: err.message, details: err.details };
  }
  throw new Error('not refused');
}

const heldCase: CaseFacts = { ...held, caseId: 'case-1' };
const queuedCase: CaseFacts = { ...queued, caseId: 'case-1' };
const forbidden = (message: string, details?: Record<string, unknown>): Said => ({ code: 'FORBIDDEN', httpStatus: 403, message, details });
const NOT_ALLOWED = '无权执行此操作 (not allowed)';

describe('refusals a use case explains (authorizeWithReason)', () => {
  // The words the people at the screens have always been given: the use cases' own refusals
  // before these decisions moved into the policy module.
  const CASES: { name: string; who: Who | Principal; attempt: (p: Principal) => void; said: Said }[] = [
    { name: 'a counter accepting a case', who: 'counterB1', attempt: (p) => authorizeWithReason(p, 'queue.accept', { case: queuedCase }), said: forbidden('只有受理人员可以接入办件') },
    { name: 'an administrator accepting a case', who: 'adminAll', attempt: (p) => authorizeWithReason(p, 'queue.accept', { case: queuedCase }), said: forbidden('只有受理人员可以接入办件') },
    { name: 'a clerk accepting outside its items', who: 'clerkAY', attempt: (p) => authorizeWithReason(p, 'queue.accept', { case: queuedCase }), said: forbidden('此办件不属于您负责的地区或事项', { caseId: 'case-1' }) },
    { name: 'a clerk accepting outside its region', who: 'clerkBX', attempt: (p) => authorizeWithReason(p, 'queue.accept', { case: queuedCase }), said: forbidden('此办件不属于您负责的地区或事项', { caseId: 'case-1' }) },
    { name: 'an administrator watching the queue', who: 'adminA', attempt: (p) => authorizeWithReason(p, 'queue.subscribe', {}), said: forbidden('只有异地窗口工作人员可以查看待受理队列') },
    { name: 'a counter watching the queue', who: 'counterB1', attempt: (p) => authorizeWithReason(p, 'queue.subscribe', {}), said: forbidden('只有异地窗口工作人员可以查看待受理队列') },
    { name: 'a counter of another hall than registered', who: 'counterB2', attempt: (p) => authorizeWithReason(p, 'counter.act', { registration: movedB2 }), said: forbidden('窗口终端登记信息与所属大厅不一致，请联系管理员', { counterId: 'ctr-B2' }) },
    { name: 'a counter whose credential names another region', who: { ...PRINCIPALS.counterB1, regionCode: 'A' }, attempt: (p) => authorizeWithReason(p, 'counter.act', { registration: registeredB1 }), said: forbidden('窗口终端登记信息与所属大厅不一致，请联系管理员', { counterId: 'ctr-B1' }) },
    { name: 'a clerk acting as a terminal', who: 'clerkAX', attempt: (p) => authorizeWithReason(p, 'counter.act', { registration: registeredB1 }), said: forbidden(NOT_ALLOWED, { action: 'counter.act' }) },
    { name: 'another counter chatting on the case', who: 'counterB2', attempt: (p) => authorizeParty(p, 'chat.send', heldCase), said: forbidden('您不是此案件的办理方，无权进行此操作', { caseId: 'case-1' }) },
    { name: 'another clerk of the item chatting', who: 'clerkAX2', attempt: (p) => authorizeParty(p, 'chat.send', heldCase), said: forbidden('您不是此案件的办理方，无权进行此操作', { caseId: 'case-1' }) },
    { name: 'an administrator capturing a material', who: 'adminA', attempt: (p) => authorizeParty(p, 'material.capture', heldCase), said: forbidden('您不是此案件的办理方，无权进行此操作', { caseId: 'case-1' }) },
    { name: 'the counter moving the case', who: 'counterB1', attempt: (p) => authorizeParty(p, 'case.transition', heldCase), said: forbidden('此操作只能由受理人员进行', { caseId: 'case-1', side: 'counter' }) },
    { name: 'the counter waiving a material', who: 'counterB1', attempt: (p) => authorizeParty(p, 'material.waive', heldCase), said: forbidden('此操作只能由受理人员进行', { caseId: 'case-1', side: 'counter' }) },
    { name: 'the clerk signing for the applicant', who: 'clerkAX', attempt: (p) => authorizeParty(p, 'case.sign', heldCase), said: forbidden('此操作只能由申请窗口进行', { caseId: 'case-1', side: 'clerk' }) },
    { name: 'the clerk rating', who: 'clerkAX', attempt: (p) => authorizeParty(p, 'rating.submit', heldCase), said: forbidden('此操作只能由申请窗口进行', { caseId: 'case-1', side: 'clerk' }) },
    { name: 'the clerk leaving the queue', who: 'clerkAX', attempt: (p) => authorizeParty(p, 'queue.leave', heldCase), said: forbidden('此操作只能由申请窗口进行', { caseId: 'case-1', side: 'clerk' }) },
    { name: 'the counter linking a desk', who: 'counterB1', attempt: (p) => authorizeWithReason(p, 'desk.link', { case: heldCase }), said: forbidden('只有受理该办件的工作人员可以接入 (clerks only)') },
    // A party on its own side, refused all the same, is told no more than the edge tells anyone.
    { name: 'the holder after losing the item', who: { ...PRINCIPALS.clerkAX, itemCodes: ['Y'] }, attempt: (p) => authorizeParty(p, 'chat.send', heldCase), said: forbidden(NOT_ALLOWED, { action: 'chat.send' }) },
    { name: 'the owning counter writing 办理意见', who: 'counterB1', attempt: (p) => authorizeWithReason(p, 'case.update', { case: heldCase, fields: ['note'] }), said: forbidden(NOT_ALLOWED, { action: 'case.update' }) },
    // Recordings: everyone but the custodians and the handling clerk is told why, the same way.
    ...(['counterB1', 'clerkAX2', 'adminB'] as Who[]).map((who) => ({ name: `${who} playing the recordings`, who, attempt: (p: Principal) => authorizeRecordingAccess(p, heldCase), said: forbidden('无权查看此办件的录像：仅限办理地区管理员和受理该办件的工作人员', { caseId: 'case-1', reason: 'not_custodian' }) })),
    { name: 'anonymous playing the recordings', who: 'anonymous', attempt: (p) => authorizeRecordingAccess(p, heldCase), said: { code: 'UNAUTHENTICATED', httpStatus: 401, message: '请先登录 (sign-in required)', details: undefined } },
    { name: 'anonymous', who: 'anonymous', attempt: (p) => authorizeParty(p, 'chat.send', heldCase), said: { code: 'UNAUTHENTICATED', httpStatus: 401, message: '请先登录 (sign-in required)', details: undefined } },
  ];
  for (const c of CASES) {
    it(`${c.name}: ${c.said.code} “${c.said.message}”`, () => {
      const principal: Principal = typeof c.who === 'string' ? PRINCIPALS[c.who] : c.who;
      expect(refusal(() => c.attempt(principal))).toEqual(c.said);
    });
  }

  it('authorizeParty names the side a party acts as', () => {
    expect(authorizeParty(PRINCIPALS.counterB1, 'chat.send', heldCase)).toBe('counter');
    expect(authorizeParty(PRINCIPALS.clerkAX, 'chat.send', heldCase)).toBe('clerk');
  });
});

describe('gates before anything is looked up', () => {
  const PAGE = '此页面仅供已登记的跨域通办窗口终端使用';
  const OPEN = '只有跨域通办窗口终端可以发起办件';
  const QUEUE = '只有异地窗口工作人员可以查看待受理队列';
  // Per principal: [requireCounter('counter.offers'), requireCounter('case.open'), requireClerk('queue.subscribe')]; 'pass' or what the refusal says.
  const GATES: Record<Who, [Said | 'pass', Said | 'pass', Said | 'pass']> = {
    adminA: [forbidden(PAGE), forbidden(OPEN), forbidden(QUEUE)],
    adminB: [forbidden(PAGE), forbidden(OPEN), forbidden(QUEUE)],
    adminAll: [forbidden(PAGE), forbidden(OPEN), forbidden(QUEUE)],
    clerkAX: [forbidden(PAGE), forbidden(OPEN), 'pass'],
    clerkAX2: [forbidden(PAGE), forbidden(OPEN), 'pass'],
    clerkAY: [forbidden(PAGE), forbidden(OPEN), 'pass'],
    clerkBX: [forbidden(PAGE), forbidden(OPEN), 'pass'],
    counterB1: ['pass', 'pass', forbidden(QUEUE)],
    counterB2: ['pass', 'pass', forbidden(QUEUE)],
    counterA: ['pass', 'pass', forbidden(QUEUE)],
    anonymous: [
      { code: 'UNAUTHENTICATED', httpStatus: 401, message: PAGE, details: undefined },
      { code: 'UNAUTHENTICATED', httpStatus: 401, message: '请先登录 (sign-in required)', details: undefined },
      { code: 'UNAUTHENTICATED', httpStatus: 401, message: '请先登录 (sign-in required)', details: undefined },
    ],
  };
  for (const who of COLUMNS) {
    const [offers, open, queue] = GATES[who];
    const gates: [string, Said | 'pass', (p: Principal) => void][] = [
      ['requireCounter(counter.offers)', offers, (p) => requireCounter(p, 'counter.offers')],
      ['requireCounter(case.open)', open, (p) => requireCounter(p, 'case.open')],
      ['requireClerk(queue.subscribe)', queue, (p) => requireClerk(p, 'queue.subscribe')],
    ];
    for (const [name, expected, gate] of gates) {
      it(`${name} by ${who}: ${expected === 'pass' ? 'pass' : expected.code}`, () => {
        const principal: Principal = PRINCIPALS[who];
        if (expected === 'pass') expect(() => gate(principal)).not.toThrow();
        else expect(refusal(() => gate(principal))).toEqual(expected);
      });
    }
  }
});

describe('authorizeCatalogChange (the admin catalogue API)', () => {
  // Columns as in the matrix:                  aA aB a* cAX cAX2 cAY cBX kB1 kB2 kA anon
  const ROWS: [string, string[], string][] = [
    ['no region (read, unserved item)', [],      'Y  Y  Y  .   .    .   .   .   .   .  .'],
    ['a hall in A', ['A'],                       'Y  .  Y  .   .    .   .   .   .   .  .'],
    ['a partnership of A and B', ['A', 'B'],     '.  .  Y  .   .    .   .   .   .   .  .'],
  ];
  for (const [label, regions, expect_] of ROWS) {
    const allowed = expect_.trim().split(/\s+/).map((c) => c === 'Y');
    COLUMNS.forEach((who, i) => {
      it(`${label} by ${who}: ${allowed[i] ? 'allow' : 'deny'}`, () => {
        const attempt = () => authorizeCatalogChange(PRINCIPALS[who], regions);
        if (allowed[i]) expect(attempt).not.toThrow();
        else expect(refusal(attempt)).toMatchObject({ code: who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' });
      });
    });
  }
});

describe('the policy module is the only place that refuses FORBIDDEN', () => {
  const ROOT = join(import.meta.dirname, '../../signaling/src');
  /**
   * Documented exceptions, each with its reason in the file: the /metrics bearer token is
   * authentication of the scraper, not an access decision about a principal.
   */
  const EXCEPTIONS = ['auth/policy.ts', 'http/metricsAccess.ts'];

  async function sources(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true });
    const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
    return nested.flat();
  }

  /** `FORBIDDEN` used as an error code (in a literal, not a comment) — in `new AppError(…)`, a `code:` or a ternary picking one. */
  function forbiddenCodes(text: string): number[] {
    const lines: number[] = [];
    text.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
      if (/(['"`])FORBIDDEN\1/.test(code)) lines.push(i + 1);
    });
    return lines;
  }

  it('finds the code where it is used (the check can fail)', () => {
    expect(forbiddenCodes(`throw new AppError('FORBIDDEN', 'x', 403);`)).toEqual([1]);
    expect(forbiddenCodes(`const e = { code: "FORBIDDEN" };\n// FORBIDDEN in a comment\n * FORBIDDEN in a doc comment`)).toEqual([1]);
    expect(forbiddenCodes(`new AppError(anon ? 'UNAUTHENTICATED' : 'FORBIDDEN', m)`)).toEqual([1]);
  });

  it('no file of signaling/src but the documented exceptions throws FORBIDDEN', async () => {
    const files = await sources(ROOT);
    expect(files.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const file of files) {
      const name = relative(ROOT, file).split('\\').join('/');
      if (EXCEPTIONS.includes(name)) continue;
      for (const line of forbiddenCodes(await readFile(file, 'utf8'))) found.push(`${name}:${line}`);
    }
    expect(found).toEqual([]);
    // The exceptions are real (a stale entry would hide nothing and mislead).
    for (const name of EXCEPTIONS) expect(forbiddenCodes(await readFile(join(ROOT, name), 'utf8')).length, name).toBeGreaterThan(0);
  });
});

describe('which sockets a regional node takes', () => {
  it('a node for region B takes B’s counters and clerks and every administrator, refuses A’s counters and clerks; a node for every region takes all', () => {
    const takes = (who: Who, regions: string[]) => {
      try {
        authorizeNodeAdmission(PRINCIPALS[who], regions);
        return 'taken';
      } catch (e) {
        return isAppError(e) ? `${e.code}:${(e.details as { reason?: string } | undefined)?.reason}:${e.httpStatus}` : 'other';
      }
    };
    const refused = 'FORBIDDEN:region_not_served:403';
    expect(Object.fromEntries((['counterB1', 'clerkBX', 'adminA', 'adminAll', 'counterA', 'clerkAX'] as Who[]).map((w) => [w, takes(w, ['B'])]))).toEqual({
      counterB1: 'taken',
      clerkBX: 'taken',
      adminA: 'taken',
      adminAll: 'taken',
      counterA: refused,
      clerkAX: refused,
    });
    expect(takes('counterA', ['B', 'A'])).toBe('taken');
    for (const w of ['counterA', 'clerkAX', 'counterB1'] as Who[]) expect(takes(w, ['*'])).toBe('taken');
  });
});
