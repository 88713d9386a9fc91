import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiValidationIn } from './support/pageGuard';
import { launchPerson, type Person } from './support/person';

/*
 * The journey's guard must be able to fail the walk: a page served with our kind of CSP that
 * breaks each rule once (a blocked image, console.error, an uncaught error, a raw validation
 * toast) is caught every time, and a clean page is not. Served by Playwright's router from an
 * origin that exists only in this browser.
 */

const ORIGIN = 'http://guard.test';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'self'";

const PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>guard</title></head>
<body><div id="toasts"></div><iframe id="frame" src="/framed.html"></iframe><script src="/app.js"></script></body></html>`;

const APP = `
const toast = (text) => { const d = document.createElement('div'); d.className = 'toast'; d.textContent = text; document.getElementById('toasts').append(d); };
window.actions = {
  fine: () => toast('材料已留存'),
  printFrame: () => document.getElementById('frame').contentWindow.print(),
  printPage: () => window.print(),
  csp: () => { const i = new Image(); i.src = 'http://elsewhere.test/pixel.png'; document.body.append(i); },
  consoleError: () => console.error('something broke'),
  uncaught: () => setTimeout(() => { throw new Error('boom'); }, 0),
  rawToast: () => toast('消息格式错误 (deadline: Invalid string: must match pattern /^\\\\d{4}-\\\\d{2}-\\\\d{2}$/)'),
};`;

describe('the journey guard', () => {
  let person: Person;

  beforeAll(async () => {
    person = await launchPerson('guard');
    await person.browser.context.route(`${ORIGIN}/**`, (route) => {
      const url = new URL(route.request().url());
      const body = url.pathname === '/app.js' ? APP : url.pathname === '/framed.html' ? '<!doctype html><p>frame</p>' : PAGE;
      const type = url.pathname.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8';
      void route.fulfill({ status: url.pathname.endsWith('.png') ? 404 : 200, headers: { 'content-type': type, 'content-security-policy': CSP }, body });
    });
    await person.page.goto(`${ORIGIN}/`);
    await person.page.waitForFunction(() => 'actions' in window);
  });

  afterAll(async () => {
    await person?.close();
  });

  const run = (name: string) => person.page.evaluate((n) => (window as unknown as { actions: Record<string, () => void> }).actions[n]!(), name);

  it('passes a clean page and records the messages it shows', async () => {
    await run('fine');
    await expect.poll(() => person.guard.messages, { timeout: 15_000 }).toContain('材料已留存');
    expect(person.guard.takeProblems('clean')).toEqual([]);
  });

  it('counts print() on the page and on a frame’s window, once per call', async () => {
    await run('printFrame');
    await run('printPage');
    await expect.poll(() => person.guard.prints, { timeout: 15_000 }).toEqual([`${ORIGIN}/framed.html`, `${ORIGIN}/`]);
  });

  it('catches a CSP violation, a console error, an uncaught error and raw validation text', async () => {
    for (const action of ['csp', 'consoleError', 'uncaught', 'rawToast']) await run(action);
    await expect.poll(() => person.guard.problems.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    const problems = person.guard.takeProblems('bad').join('\n');
    expect(problems).toMatch(/CSP violation: img-src blocked http:\/\/elsewhere\.test\/pixel\.png/);
    expect(problems).toMatch(/console error: something broke/);
    expect(problems).toMatch(/uncaught page error: boom/);
    expect(problems).toMatch(/ASCII validation text .*must match pattern/);
    expect(person.guard.problems).toEqual([]);
  });

  it('tells Chinese messages from raw validation text', () => {
    for (const ok of ['补交期限不能早于今天，请重新选择', '已签章出具容缺受理告知书：RVW-341522-20261204-000001', '请填写 18 位身份证号码']) expect(asciiValidationIn(ok), ok).toBeUndefined();
    for (const bad of [
      '消息格式错误 (applicant.idNumber: Invalid string)',
      '打印凭证无效、已过期或已使用，请重新发起打印 (print token invalid)',
      'Expected string, received number',
      'CASE_VERSION_CONFLICT',
      '请求参数错误：deadline: must match /^\\d{4}$/',
    ]) expect(asciiValidationIn(bad), bad).toBeDefined();
  });
});
