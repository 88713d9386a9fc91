import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@rvw/infra/redis/freePort';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, figure, inbound, queueAcceptAndDecode } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

const SECRET = 'test-cluster-secret-0123456789abcdef';

// The same call across two nodes, the clerk's node a separate OS process on the production
// entry (`node signaling/dist/main.js`): nothing shared with node A but Redis, the data directory
// (as a region's nodes share storage) and the cluster secret. Only A is looked into; what crosses
// the pipe is read from A's end, and the clerk's node is seen through the registry.
describe('a call spanning two node processes', () => {
  let t: TestNode;
  let child: ChildProcess | undefined;
  let childLog = '';
  let bUrl: string;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', '--silent', 'build:server'], { timeout: 170_000 });
    t = await startTestNode({ env: { RVW_NODE_ID: 'wujiang-1', RVW_NODE_REGIONS: '320509' } });
    const port = await freePort();
    bUrl = `http://localhost:${port}`;
    child = spawn('node', ['signaling/dist/main.js'], {
      env: {
        ...process.env,
        RVW_HTTP_PORT: String(port),
        RVW_REDIS_URL: t.redis.url,
        RVW_DATA_DIR: path.dirname(t.node.configPkiDir),
        RVW_PKI_DIR: t.node.configPkiDir,
        RVW_LOG_LEVEL: 'warn',
        RVW_SFU_WORKERS: '1',
        RVW_PEER_GRACE_MS: '3000',
        RVW_NODE_ID: 'huoqiu-p',
        RVW_NODE_REGIONS: '341522',
        RVW_NODE_HEARTBEAT_MS: '300',
        RVW_NODE_TTL_MS: '1200',
        RVW_CLUSTER_SECRET: SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (childLog += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (childLog += d.toString()));
    await until(async () => (await t.node.cluster.nodes.get('huoqiu-p')) !== undefined, 30_000, () => childLog);
    await until(async () => (await fetch(`${bUrl}/clerk.html`).catch(() => undefined))?.status === 200, 30_000, () => childLog);

    const clerkAuth = await t.clerk('341522', ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    const counterAuth = await t.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium();
    await t.addCookie(counterBrowser.context, counterAuth.cookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${t.node.url}/counter.html`);
    await clerk.goto(`${bUrl}/clerk.html`);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log([...logs.flat(), childLog].join('\n'));
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await t?.dispose();
  });

  let caseId: string;

  it('queue on A → 受理 on B: both decode, and each track crosses the pipe once', async () => {
    expect(await t.node.cluster.nodes.get('huoqiu-p')).toMatchObject({ nodeId: 'huoqiu-p', regions: ['341522'], origin: bUrl });
    await queueAcceptAndDecode(counter, clerk, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const session = t.node.registry.get(caseId)!;
    expect(t.node.cluster.mesh.peersOf(caseId)).toEqual(['huoqiu-p']);
    // A's end: one pipe consumer per counter track (face, 高拍仪, mic), one producer per clerk track (face, mic).
    const pipe = (await t.node.cluster.mesh.pipeTo(caseId, 'huoqiu-p'))!;
    const dump = await pipe.dump();
    expect(dump.consumerIds).toHaveLength(3);
    expect(dump.producerIds).toHaveLength(2);
    expect(session.exportableProducers().map((p) => p.source).sort()).toEqual(['document', 'face', 'mic']);
    // Frames keep coming both ways.
    const [c0, k0] = [await inbound(clerk), await inbound(counter)];
    await new Promise((r) => setTimeout(r, 2000));
    const [c1, k1] = [await inbound(clerk), await inbound(counter)];
    for (const s of ['face', 'document']) expect(figure(c1, s, 'framesDecoded'), `clerk ${s}`).toBeGreaterThan(figure(c0, s, 'framesDecoded') + 5);
    expect(figure(k1, 'face', 'framesDecoded')).toBeGreaterThan(figure(k0, 'face', 'framesDecoded') + 5);
  });

  it('kill -9 of the clerk’s node: it drops out of the registry after its TTL, and A closes its pipe and the tracks it brought', async () => {
    const session = t.node.registry.get(caseId)!;
    expect(session.counts().producers).toBe(5);
    child!.kill('SIGKILL');
    await expect.poll(() => t.node.cluster.nodes.get('huoqiu-p'), { timeout: 5000 }).toBeUndefined();
    expect((await t.node.cluster.nodes.byRegion('341522')).map((n) => n.nodeId)).toEqual([]);
    await expect.poll(() => t.node.cluster.mesh.peersOf(caseId), { timeout: 5000 }).toEqual([]);
    // The counter's own three tracks stay (the call waits for the clerk's side to come back).
    await expect.poll(() => session.counts()).toMatchObject({ producers: 3, consumers: 0 });
    expect(session.exportableProducers().map((p) => p.source).sort()).toEqual(['document', 'face', 'mic']);
  });
});

/** Waits for `ok` (a hook cannot use expect.poll); throws with `log()` on timeout. */
async function until(ok: () => Promise<boolean>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`the second node did not come up:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
