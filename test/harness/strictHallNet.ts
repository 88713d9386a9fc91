import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { destroyNamespaceSync } from './netns/TwoRegionNet';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 15_000 })).stdout;
}

const NS_NAME = /^rvw-hall-(\d+)$/;

/**
 * A hall on a strict network, built from topology alone (this kernel has no netem, the machine no
 * iptables/nft): the counter's Chromium runs in a network namespace of its own whose only link is
 * a veth /30 to the root namespace — no default route, so the one address it can reach is the
 * root end of that link, `gatewayIp`, where the node's pages/signaling and the TURN server
 * listen. The node's media sockets are bound to `mediaIp`, a /32 of the root namespace outside
 * that /30: the hall has no route to it ("network unreachable"), the clerk's Chromium and coturn
 * (both in the root namespace) reach it locally. Needs root (CAP_NET_ADMIN).
 */
export class StrictHallNet {
  readonly #exitHandler = () => this.disposeSync();
  #disposed = false;

  private constructor(
    /** The hall's namespace (`rvw-hall-<pid>`). */
    readonly ns: string,
    /** Root end of the hall's link: all the hall reaches (pages, signaling, TURN). */
    readonly gatewayIp: string,
    /** The hall's own address. */
    readonly hallIp: string,
    /** Where the node's media sockets listen: unreachable from the hall. */
    readonly mediaIp: string,
    /** An executable starting Debian's Chromium inside the hall (launchChromium's executablePath). */
    readonly chromiumWrapper: string,
    private readonly rootDev: string,
    private readonly wrapperDir: string,
  ) {}

  static async create(): Promise<StrictHallNet> {
    await sweepStaleHalls();
    const pid = process.pid;
    const b = await freeSecondOctet();
    const ns = `rvw-hall-${pid}`;
    // At most 15 characters (IFNAMSIZ).
    const rootDev = `rh${pid}r`;
    const hallDev = `rh${pid}h`;
    const wrapperDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-hall-'));
    const wrapper = path.join(wrapperDir, 'chromium');
    // Playwright talks to Chromium over inherited pipes, which `ip netns exec` passes through.
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`);
    await chmod(wrapper, 0o755);
    const net = new StrictHallNet(ns, `10.${b}.1.1`, `10.${b}.1.2`, `10.${b}.2.1`, wrapper, rootDev, wrapperDir);
    process.once('exit', net.#exitHandler);
    try {
      await ip('netns', 'add', ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('link', 'add', rootDev, 'type', 'veth', 'peer', 'name', hallDev, 'netns', ns);
      await ip('addr', 'add', `${net.gatewayIp}/30`, 'dev', rootDev);
      // On the veth, so it goes when the link does; a /32 adds no route the hall could use.
      await ip('addr', 'add', `${net.mediaIp}/32`, 'dev', rootDev);
      await ip('link', 'set', rootDev, 'up');
      await ip('-n', ns, 'addr', 'add', `${net.hallIp}/30`, 'dev', hallDev);
      await ip('-n', ns, 'link', 'set', hallDev, 'up');
    } catch (e) {
      net.disposeSync();
      throw e;
    }
    return net;
  }

  /** The device a packet from the hall to `to` leaves by; rejects when the hall has no route there. */
  async routeFromHall(to: string): Promise<string> {
    const out = await ip('-n', this.ns, '-j', 'route', 'get', to);
    return (JSON.parse(out) as { dev: string }[])[0]!.dev;
  }

  async dispose(): Promise<void> {
    this.disposeSync();
    await rm(this.wrapperDir, { recursive: true, force: true });
  }

  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    process.removeListener('exit', this.#exitHandler);
    destroyNamespaceSync(this.ns);
    try {
      execFileSync('ip', ['link', 'del', this.rootDev], { stdio: 'ignore' });
    } catch {
      // went with its peer
    }
  }
}

/** Deletes hall namespaces of runs whose process is dead (a SIGKILLed run never cleans up). */
async function sweepStaleHalls(): Promise<void> {
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const m = NS_NAME.exec(line.split(' ')[0] ?? '');
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') destroyNamespaceSync(m[0]);
    }
  }
}

/** A 10.<b>.0.0/16 unused in the root namespace; 200–249, apart from the other netns harnesses' 100–199. */
async function freeSecondOctet(): Promise<number> {
  const used = await ip('-4', '-o', 'addr');
  const start = process.pid % 50;
  for (let i = 0; i < 50; i++) {
    const b = 200 + ((start + i) % 50);
    if (!used.includes(` 10.${b}.`)) return b;
  }
  throw new Error('no free 10.x.0.0/16 for the hall namespace');
}
