import { execFile, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `ip …`; throws with its stderr. */
export async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 15_000 })).stdout;
}

/** One region's namespace and its two links: to the root namespace (pages, Redis) and to the other region. */
export interface RegionSide {
  /** Network namespace name (`rvw-wj-<pid>`). */
  ns: string;
  /** Root-namespace end of the root link: Redis listens here for this region's nodes. */
  rootIp: string;
  /** This namespace's end of the root link: its nodes serve pages and browser media here. */
  nsIp: string;
  /** Device names of the root link (root end, namespace end). */
  rootDev: string;
  nsDev: string;
  /** This namespace's end of the inter-region link (netem): pipes listen here. */
  interIp: string;
  interDev: string;
}

// Also the namespaces of ImpairedLink (cli, imp): one sweep for every harness's leftovers.
const NS_NAME = /^rvw-(wj|hq|wan|cli|imp)-(\d+)$/;
const PYTHON = '/usr/bin/python3';
const DELAY_LINE = fileURLToPath(new URL('./delayLine.py', import.meta.url));

/** Whether the kernel has sch_netem (probed on a namespace's loopback). */
async function hasNetem(ns: string): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { timeout: 15_000 });
    await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'lo', 'root'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts delayLine.py bridging two devices of a namespace; resolves once it is forwarding. It lives
 * as long as the namespace's processes do (or until `kill` of the returned pid). `impair` adds
 * loss (0..1) and a rate cap (kbit/s) in each direction.
 */
export async function startDelayLine(ns: string, a: string, b: string, delayMs: number, impair: { loss?: number; rateKbps?: number } = {}): Promise<number> {
  // A wire is never late because the machine is busy: real-time priority (SCHED_FIFO, it sleeps in
  // select between frames), so two Chromiums and three nodes beside it do not starve it (a starved
  // line once doubled the round trip and dropped most of the media).
  const extra = impair.loss || impair.rateKbps ? [String(impair.loss ?? 0), String(impair.rateKbps ?? 0)] : [];
  const child = spawn('ip', ['netns', 'exec', ns, 'chrt', '-f', '10', PYTHON, '-u', DELAY_LINE, 'bridge', a, b, String(delayMs), ...extra], { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`delay line did not start: ${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`delay line exited (${code}): ${out}`));
    });
  });
  child.removeAllListeners('exit');
  // The namespace's deletion kills it; this process must not wait for it.
  child.unref();
  child.stdout!.destroy();
  child.stderr!.destroy();
  return child.pid!;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Kills every process left in a namespace, then deletes it (its veths go with it). Synchronous: also runs in an exit handler. */
export function destroyNamespaceSync(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Deletes namespaces this harness left behind in runs whose process is dead (a crashed or
 * SIGKILLed test run never reaches its cleanup). Names carry the creating pid, so a concurrent
 * live run's namespaces are left alone. Returns the names removed.
 */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const swept: string[] = [];
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = NS_NAME.exec(name);
    if (m && !alive(Number(m[2]))) {
      destroyNamespaceSync(name);
      swept.push(name);
    }
  }
  return swept;
}

/**
 * Two regions on one machine as two network namespaces, 吴江 (wj) and 霍邱 (hq), joined by a veth
 * pair with `tc netem delay` on each end (15 ms each way: a 30 ms round trip, as between two
 * provinces' service centres), and each joined to the root namespace by a veth of its own (no
 * delay), where the browsers and Redis stay. Nothing routes between the two root links, so the
 * only way from one region's nodes to the other's is the netem link (checked by {@link routeDev}).
 * A kernel without sch_netem (this test machine's) gets the same delay from delayLine.py, a
 * userspace wire in a third namespace between the two ends ({@link delayKind} says which).
 * Needs root (CAP_NET_ADMIN). Names are unique per process; {@link dispose} and an exit handler
 * remove everything, and {@link sweepStaleNamespaces} runs first to remove what crashed runs left.
 */
export class TwoRegionNet {
  readonly #exitHandler = () => this.disposeSync();
  #disposed = false;
  /** The middle namespace of the delay line, when there is one. */
  #wan: string | undefined;
  /** How the delay is made: the kernel's netem qdisc, or delayLine.py where the kernel lacks it. */
  delayKind: 'netem' | 'delay-line' = 'netem';

  private constructor(
    readonly wj: RegionSide,
    readonly hq: RegionSide,
    /** One-way delay added on each end of the inter-region link. */
    readonly delayMs: number,
  ) {}

  /** Creates both namespaces and links (after sweeping stale ones). */
  static async create(options: { delayMs?: number } = {}): Promise<TwoRegionNet> {
    const delayMs = options.delayMs ?? 15;
    await sweepStaleNamespaces();
    const pid = process.pid;
    const b = await freeSecondOctet(100 + (pid % 100));
    const side = (key: 'wj' | 'hq', link: number, interIp: string): RegionSide => ({
      ns: `rvw-${key}-${pid}`,
      rootIp: `10.${b}.${link}.1`,
      nsIp: `10.${b}.${link}.2`,
      // At most 15 characters (IFNAMSIZ): rv<pid><region letter><end>.
      rootDev: `rv${pid}${key[0]}0`,
      nsDev: `rv${pid}${key[0]}1`,
      interIp,
      interDev: `rv${pid}x${key[0]}`,
    });
    const wj = side('wj', 1, `10.${b}.3.1`);
    const hq = side('hq', 2, `10.${b}.3.2`);
    const net = new TwoRegionNet(wj, hq, delayMs);
    process.once('exit', net.#exitHandler);
    try {
      for (const s of [wj, hq]) {
        await ip('netns', 'add', s.ns);
        await ip('-n', s.ns, 'link', 'set', 'lo', 'up');
        await ip('link', 'add', s.rootDev, 'type', 'veth', 'peer', 'name', s.nsDev, 'netns', s.ns);
        await ip('addr', 'add', `${s.rootIp}/30`, 'dev', s.rootDev);
        await ip('link', 'set', s.rootDev, 'up');
        await ip('-n', s.ns, 'addr', 'add', `${s.nsIp}/30`, 'dev', s.nsDev);
        await ip('-n', s.ns, 'link', 'set', s.nsDev, 'up');
      }
      if (await hasNetem(wj.ns)) {
        await ip('-n', wj.ns, 'link', 'add', wj.interDev, 'type', 'veth', 'peer', 'name', hq.interDev, 'netns', hq.ns);
        for (const s of [wj, hq]) {
          await ip('-n', s.ns, 'addr', 'add', `${s.interIp}/30`, 'dev', s.interDev);
          await ip('-n', s.ns, 'link', 'set', s.interDev, 'up');
          // netem's default queue (1000 packets) is plenty for a few video streams at 15 ms.
          await run('ip', ['netns', 'exec', s.ns, 'tc', 'qdisc', 'add', 'dev', s.interDev, 'root', 'netem', 'delay', `${delayMs}ms`], { timeout: 15_000 });
        }
      } else {
        // No sch_netem in this kernel: each region's end of the link goes into a third namespace
        // where delayLine.py copies frames across, each direction `delayMs` late (the same 2 × 15 ms).
        net.#wan = `rvw-wan-${pid}`;
        net.delayKind = 'delay-line';
        await ip('netns', 'add', net.#wan);
        for (const [s, end] of [[wj, `rv${pid}xa`], [hq, `rv${pid}xb`]] as const) {
          await ip('-n', s.ns, 'link', 'add', s.interDev, 'type', 'veth', 'peer', 'name', end, 'netns', net.#wan);
          await ip('-n', net.#wan, 'link', 'set', end, 'up');
          await ip('-n', s.ns, 'addr', 'add', `${s.interIp}/30`, 'dev', s.interDev);
          await ip('-n', s.ns, 'link', 'set', s.interDev, 'up');
          await run('ip', ['netns', 'exec', s.ns, PYTHON, DELAY_LINE, 'no-tx-csum', s.interDev], { timeout: 15_000 });
        }
        await startDelayLine(net.#wan, `rv${pid}xa`, `rv${pid}xb`, delayMs);
      }
    } catch (e) {
      net.disposeSync();
      throw e;
    }
    return net;
  }

  /** The other region's side. */
  other(side: RegionSide): RegionSide {
    return side === this.wj ? this.hq : this.wj;
  }

  /** The device a packet from `from` to `to` leaves by (`ip route get`). */
  async routeDev(from: RegionSide, to: string): Promise<string> {
    const out = await ip('-n', from.ns, '-j', 'route', 'get', to);
    return (JSON.parse(out) as { dev: string }[])[0]!.dev;
  }

  /**
   * Median round trip (ms) of `count` pings from wj's to hq's end of the inter-region link, after
   * one that is not counted (it may wait for ARP, which crosses the delay twice more).
   */
  async pingRttMs(count = 10): Promise<number> {
    // ICMP echo from delayLine.py: this machine has no iputils-ping.
    const { stdout } = await run('ip', ['netns', 'exec', this.wj.ns, 'chrt', '-f', '10', PYTHON, DELAY_LINE, 'ping', this.hq.interIp, String(count + 1)], { timeout: 30_000 });
    const rtts = stdout.split('\n').filter(Boolean).map(Number).slice(1).sort((a, b) => a - b);
    if (rtts.length !== count) throw new Error(`ping: ${stdout}`);
    return rtts[Math.floor(count / 2)]!;
  }

  /** Byte counters of a device in a namespace (the kernel's, as `ip -s link` shows them). */
  async bytes(ns: string, dev: string): Promise<{ tx: number; rx: number }> {
    const out = await ip('-n', ns, '-j', '-s', 'link', 'show', 'dev', dev);
    const s = (JSON.parse(out) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[])[0]!.stats64;
    return { tx: s.tx.bytes, rx: s.rx.bytes };
  }

  /** Deletes both namespaces (killing anything still running in them) and with them every veth. */
  async dispose(): Promise<void> {
    this.disposeSync();
  }

  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    process.removeListener('exit', this.#exitHandler);
    for (const ns of [this.wj.ns, this.hq.ns, ...(this.#wan ? [this.#wan] : [])]) destroyNamespaceSync(ns);
    // A root end whose namespace end was never moved (creation failed half-way) stays otherwise.
    for (const s of [this.wj, this.hq]) {
      try {
        execFileSync('ip', ['link', 'del', s.rootDev], { stdio: 'ignore' });
      } catch {
        // went with its peer
      }
    }
  }
}

/** A 10.<b>.0.0/16 no interface of the root namespace uses yet, starting at `start`. */
export async function freeSecondOctet(start: number): Promise<number> {
  const used = await ip('-4', '-o', 'addr');
  for (let i = 0; i < 100; i++) {
    const b = 100 + ((start - 100 + i) % 100);
    if (!used.includes(` 10.${b}.`)) return b;
  }
  throw new Error('no free 10.x.0.0/16 for the test namespaces');
}
