// Documents benchmark: issue signed 参保缴费证明 (render with the CJK subset font → PAdES sign →
// content-addressed store + Redis index) against a private redis-server (AOF always).
//   npm run bench:documents
// Prints one JSON line: p50/p95 latency of sequential issues in one thread (warm), and throughput
// with two worker threads (one per core) issuing concurrently. Latency includes the store step
// (file fsync + Redis), i.e. everything `DocumentService.issue` does. cpu_ms_per_doc is the
// process CPU time per document during the throughput pass: 2000 / cpu_ms_per_doc is the rate two
// otherwise idle cores could sustain.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { RedisServer } from '@rvw/infra/redis/RedisServer';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { RedisDocumentIndex } from '@rvw/signaling/store/RedisDocumentIndex';
import { DocumentService, DocumentStore, FontCache, SignerRegistry, type DocumentInputData } from '@rvw/documents';
import { percentile, printResult } from './runBench';

const SEQUENTIAL = 200;
const WARMUP = 40;
const WORKERS = 2;
const PER_WORKER = 200;

interface Setup {
  pkiDir: string;
  dataDir: string;
  redisUrl: string;
}

/** A typical certificate: 8 yearly contribution rows, one page. */
function certificate(i: number): DocumentInputData {
  return {
    type: 'payment_certificate',
    caseId: `BENCH-${i}`,
    region: { code: '341522', name: '安徽省六安市霍邱县' },
    authority: '霍邱县社会保险事业管理中心',
    applicant: { name: ['张三丰', '李秀英', '王建国', '陈添荣'][i % 4] as string, idNumberMasked: '3415**********1234' },
    item: { code: '340100-SB-003', name: '参保缴费证明开具' },
    clerk: { staffId: 'clerk-bench', name: '李四' },
    insuranceType: '企业职工基本养老保险',
    employer: '昆山某某电子有限公司',
    rows: Array.from({ length: 8 }, (_, r) => ({
      from: `${2018 + r}-01`,
      to: `${2018 + r}-12`,
      base: 4500 + r * 300 + (i % 7),
      employerAmount: (4500 + r * 300) * 0.16,
      personalAmount: (4500 + r * 300) * 0.08,
    })),
  };
}

async function openService(setup: Setup) {
  const redis = await connectRedis(setup.redisUrl);
  const service = await DocumentService.create({
    fontCache: await FontCache.load(),
    signers: await SignerRegistry.load({ pkiDir: setup.pkiDir }),
    store: new DocumentStore({ index: new RedisDocumentIndex(redis), dataDir: setup.dataDir }),
    publicOrigin: 'https://rvw.example.gov.cn',
    clock: () => new Date(),
  });
  return { service, close: () => redis.quit() };
}

/** Worker: warm up, report ready, wait for "go", issue its share, report the count. */
async function workerMain(): Promise<void> {
  const { setup, offset } = workerData as { setup: Setup; offset: number };
  const { service, close } = await openService(setup);
  for (let i = 0; i < WARMUP; i++) await service.issue(certificate(offset + i));
  parentPort?.postMessage({ type: 'ready' });
  await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));
  for (let i = 0; i < PER_WORKER; i++) await service.issue(certificate(offset + WARMUP + i));
  parentPort?.postMessage({ type: 'done', count: PER_WORKER });
  await close();
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-bench-docs-'));
  const redisServer = await RedisServer.start({ dataDir: path.join(dir, 'redis') });
  try {
    const pkiDir = path.join(dir, 'pki');
    await ensureDevPki({ pkiDir, regions: [{ code: '341522', name: '霍邱县政务服务管理局' }] });
    const setup: Setup = { pkiDir, dataDir: path.join(dir, 'data'), redisUrl: redisServer.url };

    // Sequential latency in this thread.
    const { service, close } = await openService(setup);
    for (let i = 0; i < WARMUP; i++) await service.issue(certificate(i));
    const latencies: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const start = performance.now();
      await service.issue(certificate(WARMUP + i));
      latencies.push(performance.now() - start);
    }
    await close();

    // Throughput: one worker thread per core, started together after their own warm-up. tsx
    // registers its loader in the main thread only, so each worker loads this file through
    // tsx's API from a tiny bootstrap.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}));`;
    const workers = Array.from({ length: WORKERS }, (_, w) => new Worker(bootstrap, { eval: true, workerData: { setup, offset: 100_000 * (w + 1) } }));
    const next = (worker: Worker, type: string) =>
      new Promise<{ type: string; count?: number }>((resolve, reject) => {
        const onMessage = (m: { type: string; count?: number }) => {
          if (m.type === type) {
            worker.off('message', onMessage);
            resolve(m);
          }
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
    await Promise.all(workers.map((w) => next(w, 'ready')));
    const done = workers.map((w) => next(w, 'done'));
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (const w of workers) w.postMessage('go');
    const counts = await Promise.all(done);
    const elapsed = performance.now() - start;
    // Process CPU (all threads; redis-server is a separate process): a figure that does not
    // depend on what else the machine is running, unlike docs_per_s.
    const cpu = process.cpuUsage(cpuStart);
    // Their work is done and counted; terminate rather than wait for each event loop to drain.
    await Promise.all(workers.map((w) => w.terminate()));
    const total = counts.reduce((sum, m) => sum + (m.count ?? 0), 0);

    printResult({
      bench: 'documents',
      p50_ms: round(percentile(latencies, 50)),
      p95_ms: round(percentile(latencies, 95)),
      docs_per_s: round((total / elapsed) * 1000),
      cpu_ms_per_doc: round((cpu.user + cpu.system) / 1000 / total),
      n: SEQUENTIAL,
      workers: WORKERS,
      throughput_docs: total,
    });
  } finally {
    await redisServer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (isMainThread) await main();
else await workerMain();
