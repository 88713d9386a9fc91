import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startTestNode, type TestNode } from '../../harness/testNode';
import { launchPerson, type Person } from './person';

/** The two people of a call and their node, ready once the file's beforeAll hooks have run. */
export interface CallPair {
  readonly t: TestNode;
  readonly clerk: Person;
  readonly counter: Person;
  /** The signed-in clerk's staff id. */
  readonly clerkId: string;
}

/** Options for {@link useCallPair}. */
export interface CallPairOptions {
  /** Items the 霍邱 clerk handles. */
  items: string[];
  /** The clerk's name as pages show it. */
  clerkName: string;
  /** The node's environment, asked for when the node starts (a stand-in service may start first). */
  env?: () => Record<string, string>;
  /**
   * Problems a test expects and has checked itself (e.g. Chromium's log line for a refusal the page
   * shows in words); anything else still fails.
   */
  expected?: RegExp[];
}

/**
 * The set-up the two-person Chromium tests share: a node, a 霍邱 clerk and the 吴江 counter signed
 * in, each in their own browser (launchPerson: 1366×768, zh-CN, a PageGuard); after each test the
 * console errors, CSP violations and page errors of both fail it; all closed at the end.
 */
export function useCallPair(options: CallPairOptions): CallPair {
  let pair: { t: TestNode; clerk: Person; counter: Person; clerkId: string } | undefined;
  const get = () => {
    if (!pair) throw new Error('useCallPair: used before its beforeAll ran');
    return pair;
  };
  beforeAll(async () => {
    const t = await startTestNode(options.env ? { env: options.env() } : {});
    const c = await t.clerk('341522', options.items, options.clerkName);
    const k = await t.counter('wujiang-kyth-01');
    const [clerk, counter] = await Promise.all([launchPerson('clerk'), launchPerson('counter')]);
    await t.addCookie(clerk.browser.context, c.cookie);
    await t.addCookie(counter.browser.context, k.cookie);
    pair = { t, clerk, counter, clerkId: c.staffId };
  });
  afterEach((ctx) => {
    const { clerk, counter } = get();
    const problems = [...clerk.guard.takeProblems(ctx.task.name), ...counter.guard.takeProblems(ctx.task.name)];
    expect(
      problems.filter((p) => !(options.expected ?? []).some((re) => re.test(p))),
      'console errors, CSP violations or page errors',
    ).toEqual([]);
  });
  afterAll(async () => {
    await pair?.clerk.close();
    await pair?.counter.close();
    await pair?.t.dispose();
  });
  return {
    get t() {
      return get().t;
    },
    get clerk() {
      return get().clerk;
    },
    get counter() {
      return get().counter;
    },
    get clerkId() {
      return get().clerkId;
    },
  };
}
