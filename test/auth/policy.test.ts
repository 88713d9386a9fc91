import { describe, expect, it } from 'vitest';
import { isAppError } from '@rvw/signaling/errors/AppError';
import {
  ACTIONS,
  authorize,
  can,
  caseView,
  requireAdmin,
  type Action,
  type CaseFacts,
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
  row('queue.read', 'A / item X', { queue: { servingRegion: 'A', itemCode: 'X' } }, 'Y  .  Y  Y   Y    .   .   .   .   .  .'),
  row('queue.read', 'B / item X', { queue: { servingRegion: 'B', itemCode: 'X' } }, '.  Y  Y  .   .    .   Y   .   .   .  .'),
  row('queue.accept', 'queued case', { case: queued },          '.  .  .  Y   Y    .   .   .   .   .  .'),
  row('queue.accept', 'case held by clerkAX', { case: held },   '.  .  .  Y   Y    .   .   .   .   .  .'),
  row('session.join', 'held case', { case: held },              '.  .  .  Y   .    .   .   Y   .   .  .'),
  row('session.end', 'held case', { case: held },               '.  .  .  Y   .    .   .   .   .   .  .'),
  row('desk.join', 'own desk', {},                              '.  .  .  Y   Y    Y   Y   .   .   .  .'),
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
