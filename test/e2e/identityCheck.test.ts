import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { acceptAndDecode, signAtCounter } from '../harness/callPages';
import { FakeIdCardReader } from '../harness/fakeIdCardReader';
import { withCheckDigit } from '../harness/idNumber';
import { useCallPair } from '../journey/support/callPair';

/*
 * 人证核验 (#18), walked by the two people in real Chromiums: at the counter the staff member
 * clicks 读取身份证 — first with no card on the reader (told so), then with the applicant's card —
 * and the form fills from the card (locked to it, marked 样例数据: the reader is the test stand-in
 * for the vendor's local service, FakeIdCardReader, handing out a BMP photo the page re-encodes).
 * The applicant queues; the remote clerk accepts and sees the chip photo beside the live face,
 * clicks 人证一致, and the case and its audit chain hold the result and who decided, never the
 * photo. The clerk takes the four materials off the 高拍仪, the applicant signs, the clerk 办结s:
 * the photo is gone from Redis and from the clerk's screen, and the counter's next applicant
 * finds an empty, unlocked form. Console errors, CSP violations and page errors fail it.
 */
const ITEM = '000117005000';
const APPLICANT = { name: '陈建国', idNumber: withCheckDigit('32058419580312123') };

describe('人证核验: the card read at the counter, the chip photo beside the live face, the result in the case (#18)', () => {
  let reader: FakeIdCardReader;
  beforeAll(async () => {
    reader = await FakeIdCardReader.start();
  });
  // Closed after the pair's own afterAll has closed the node (after-hooks run last-registered first).
  afterAll(async () => {
    await reader?.close();
  });
  const pair = useCallPair({ items: [ITEM], clerkName: '霍邱窗口 李娜', env: () => ({ RVW_IDCARD_READER_URL: reader.url }) });

  it('reads the card, shows its photo to the clerk, records the result, and forgets the photo at 办结', async () => {
    const { t, clerkId } = pair;
    // The reader answers the page's origin only (as the vendor's service is configured to).
    reader.allowOrigin = t.origin;
    const c = pair.clerk.page;
    const k = pair.counter.page;
    await c.goto(`${t.origin}/clerk.html`);
    await k.goto(`${t.origin}/counter.html`);

    // ---- at the counter: no card on the reader, then the applicant's card ----
    await k.waitForSelector('#btn-read-card:not(.hidden)');
    await k.click('#btn-read-card');
    await expect.poll(() => k.textContent('#card-status')).toBe('未检测到身份证，请将身份证放在读卡器上后重试');
    expect(await k.inputValue('#app-name')).toBe('');
    reader.place(APPLICANT);
    await k.click('#btn-read-card');
    await expect.poll(() => k.textContent('#card-status')).toBe('已读取身份证（样例数据：测试读卡器，非真实证件）');
    expect(reader.reads).toBe(2);
    expect(await k.inputValue('#app-name')).toBe(APPLICANT.name);
    expect(await k.inputValue('#app-id')).toBe(APPLICANT.idNumber);
    // Locked to the card: what the case opens with is what the card says.
    expect(await k.$eval('#app-name', (el) => (el as HTMLInputElement).readOnly)).toBe(true);
    expect(await k.$eval('#app-id', (el) => (el as HTMLInputElement).readOnly)).toBe(true);
    await k.screenshot({ path: '/tmp/rvw-identity-counter-read.png' });
    // 大字模式 (for those who read with difficulty): the reader's button and what it says stay
    // whole on the screen and clear of the fields they fill.
    await k.click('#btn-large-type');
    const boxes = await k.evaluate(() =>
      ['#btn-read-card', '#btn-card-clear', '#card-status', '#app-name', '#app-id'].map((sel) => {
        const r = document.querySelector(sel)!.getBoundingClientRect();
        return { sel, left: r.left, top: r.top, right: r.right, bottom: r.bottom, hidden: r.width === 0 };
      }),
    );
    const width = k.viewportSize()!.width;
    for (const b of boxes.filter((x) => !x.hidden)) {
      expect(b.left, b.sel).toBeGreaterThanOrEqual(0);
      expect(b.right, b.sel).toBeLessThanOrEqual(width);
    }
    const overlap = (a: (typeof boxes)[number], b: (typeof boxes)[number]) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    for (const a of boxes.filter((x) => !x.hidden)) for (const b of boxes.filter((x) => !x.hidden && x.sel > a.sel)) expect(overlap(a, b), `${a.sel} over ${b.sel}`).toBe(false);
    await k.screenshot({ path: '/tmp/rvw-identity-counter-read-large.png' });
    await k.click('#btn-large-type');

    await k.selectOption('#item', { label: '城乡居民基本养老保险个人账户一次性支付' });
    await k.click('#btn-queue');
    await k.waitForSelector('#step-consent:not(.hidden), #step-wait:not(.hidden)', { timeout: 15_000 });
    if (await k.isVisible('#step-consent')) await k.click('#btn-consent-agree');
    await k.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
    const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).identity?.card, { timeout: 10_000 }).toMatchObject({ counterId: 'wujiang-kyth-01', sample: true });
    const chipKey = CaseStore.keysOf(caseId).chipPhoto;
    expect(await t.node.redis.exists(chipKey)).toBe(1);
    // The form no longer holds the applicant (nor the card) once the case has them.
    expect(await k.$eval('#app-name', (el) => [(el as HTMLInputElement).value, (el as HTMLInputElement).readOnly])).toEqual(['', false]);

    // ---- the clerk accepts and sees the chip photo beside the live face ----
    await c.waitForSelector('#queue button.accept', { timeout: 15_000 });
    await acceptAndDecode(k, c, '#queue button.accept');
    await c.waitForSelector('#identity-panel:not(.hidden)');
    await c.waitForFunction(() => (document.getElementById('chip-photo') as HTMLImageElement).naturalWidth > 0, undefined, { timeout: 10_000 });
    // The reader's BMP arrived as the card's picture: 102×126, the test pattern's colours (not blank).
    const shown = await c.evaluate(() => {
      const img = document.getElementById('chip-photo') as HTMLImageElement;
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<string>();
      for (let i = 0; i < d.length; i += 4 * 37) colours.add(`${d[i]! >> 5},${d[i + 1]! >> 5},${d[i + 2]! >> 5}`);
      return { w: img.naturalWidth, h: img.naturalHeight, colours: colours.size, src: img.src.slice(0, 5) };
    });
    expect(shown).toMatchObject({ w: 102, h: 126, src: 'blob:' });
    expect(shown.colours, 'the photo has the pattern in it').toBeGreaterThan(6);
    expect(await c.textContent('#chip-caption')).toBe('身份证芯片照片（样例数据：测试读卡器，非真实证件）');
    expect(await c.textContent('#identity-status')).toBe('请对照芯片照片与申请人画面，确认是否为本人。');
    await c.screenshot({ path: '/tmp/rvw-identity-clerk.png' });
    // Beside the live face: the panel sits right under the applicant's picture.
    const face = (await c.locator('.tile.face-remote').boundingBox())!;
    const panel = (await c.locator('#identity-panel').boundingBox())!;
    expect(panel.y).toBeGreaterThan(face.y);
    expect(panel.y - (face.y + face.height)).toBeLessThan(40);

    await c.click('#btn-id-match');
    await expect.poll(() => c.getAttribute('#identity-status', 'data-result')).toBe('match');
    expect(await c.textContent('#identity-status')).toMatch(/^核验结果：人证一致（霍邱窗口 李娜，\d\d:\d\d）$/);
    const record = await t.node.cases.getCase(caseId);
    expect(record.identity?.verdict).toMatchObject({ result: 'match', by: clerkId, byName: '霍邱窗口 李娜' });
    const { events } = await t.node.cases.history(caseId);
    expect(events.filter((e) => e.action.startsWith('identity.')).map((e) => ({ action: e.action, actor: e.actor.id, data: e.data }))).toEqual([
      { action: 'identity.card_read', actor: 'wujiang-kyth-01', data: { sample: true } },
      { action: 'identity.verified', actor: clerkId, data: { result: 'match' } },
    ]);
    const photoB64 = JSON.parse((await t.node.redis.get(chipKey))!).photoBase64 as string;
    expect(JSON.stringify(events)).not.toContain(photoB64.slice(0, 60));

    // ---- 办结: the four materials off the 高拍仪, the applicant's signature, 办结 ----
    for (let i = 0; i < 4; i++) {
      const row = c.locator('#checklist tr').nth(i);
      await row.locator('button.capture').click();
      await expect.poll(() => row.locator('.material-status').textContent(), { timeout: 10_000 }).toMatch(/^已提交/);
    }
    await signAtCounter(k);
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).applicantSignatureSha256, { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => c.evaluate(() => (window as unknown as { rvw: { state: { caseView?: { applicantSignatureSha256?: string } } } }).rvw.state.caseView?.applicantSignatureSha256 !== undefined), { timeout: 10_000 }).toBe(true);
    await c.click('#btn-complete');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).state, { timeout: 10_000 }).toBe('completed');
    // Gone with the case: from Redis, and from the clerk's screen. The result stays in the record.
    expect(await t.node.redis.exists(chipKey)).toBe(0);
    await c.waitForSelector('#identity-panel.hidden', { state: 'attached' });
    expect(await c.getAttribute('#chip-photo', 'src')).toBeNull();
    expect((await t.node.cases.getCase(caseId)).identity?.verdict?.result).toBe('match');

    // ---- the counter's next applicant starts from an empty, unlocked form ----
    await k.waitForSelector('#step-finish:not(.hidden)', { timeout: 10_000 });
    await k.click('#btn-new');
    await k.waitForSelector('#step-choose:not(.hidden)');
    expect(await k.$eval('#app-id', (el) => [(el as HTMLInputElement).value, (el as HTMLInputElement).readOnly])).toEqual(['', false]);
    expect(await k.isVisible('#card-status')).toBe(false);
  }, 180_000);
});
