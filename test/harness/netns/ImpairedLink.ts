import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { destroyNamespaceSync, freeSecondOctet, ip, startDelayLine, sweepStaleNamespaces } from './TwoRegionNet';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const DELAY_LINE = fileURLToPath(new URL('./delayLine.py', import.meta.url));

/** What the line does to each direction (netem's words: delay, loss; tbf's: rate). */
export interface Impairment {
  /** One-way delay each direction (half the added round trip). */
  delayMs: number;
  /** Share of IP packets dropped in each direction, 0..1. */
  loss?: number;
  /** Cap of each direction, kbit/s (200 ms of queue, then tail drop). */
  rateKbps?: number;
}

/**
 * A county hall's poor network between the counter and the node: the counter's Chromium runs in a
 * network namespace of its own (`cli`) whose only link goes to the root namespace (where the node
 * and the clerk's Chromium are) through an impairing wire in a third namespace (`imp`) —
 * delayLine.py with delay, loss and a rate cap, in both directions (this kernel has no sch_netem).
 * `rootIp` is the node's address on that link; `chromiumWrapper` is an executable that starts
 * Debian's Chromium inside `cli` (give it to launchChromium as executablePath). Needs root.
 */
export class ImpairedLink {
  #linePid: number | undefined;
  #disposed = false;
  readonly #exitHandler = () => this.disposeSync();

  private constructor(
    readonly clientNs: string,
    readonly lineNs: string,
    /** The root namespace's end: the node listens here for the counter. */
    readonly rootIp: string,
    /** The counter namespace's address. */
    readonly clientIp: string,
    readonly chromiumWrapper: string,
    private readonly rootDev: string,
    private readonly lineDevs: [string, string],
    private readonly wrapperDir: string,
  ) {}

  static async create(): Promise<ImpairedLink> {
    await sweepStaleNamespaces();
    const pid = process.pid;
    const b = await freeSecondOctet(150 + (pid % 50));
    const cli = `rvw-cli-${pid}`;
    const imp = `rvw-imp-${pid}`;
    // At most 15 characters (IFNAMSIZ).
    const rootDev = `ri${pid}r`;
    const lineDevs: [string, string] = [`ri${pid}a`, `ri${pid}b`];
    const clientDev = `ri${pid}c`;
    const rootIp = `10.${b}.9.1`;
    const clientIp = `10.${b}.9.2`;
    const wrapperDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-cli-'));
    const wrapper = path.join(wrapperDir, 'chromium');
    // Playwright talks to Chromium over its stdio pipes, which `ip netns exec` passes through.
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${cli} ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} "$@"\n`);
    await chmod(wrapper, 0o755);
    const link = new ImpairedLink(cli, imp, rootIp, clientIp, wrapper, rootDev, lineDevs, wrapperDir);
    process.once('exit', link.#exitHandler);
    try {
      await ip('netns', 'add', cli);
      await ip('netns', 'add', imp);
      await ip('-n', cli, 'link', 'set', 'lo', 'up');
      // root <-> imp (a), imp (b) <-> cli: one /30 across the wire.
      await ip('link', 'add', rootDev, 'type', 'veth', 'peer', 'name', lineDevs[0], 'netns', imp);
      await ip('-n', cli, 'link', 'add', clientDev, 'type', 'veth', 'peer', 'name', lineDevs[1], 'netns', imp);
      await ip('addr', 'add', `${rootIp}/30`, 'dev', rootDev);
      await ip('link', 'set', rootDev, 'up');
      await ip('-n', cli, 'addr', 'add', `${clientIp}/30`, 'dev', clientDev);
      await ip('-n', cli, 'link', 'set', clientDev, 'up');
      for (const d of lineDevs) await ip('-n', imp, 'link', 'set', d, 'up');
      // Frames copied through a packet socket must carry finished checksums (see delayLine.py).
      await run(PYTHON, [DELAY_LINE, 'no-tx-csum', rootDev], { timeout: 15_000 });
      await run('ip', ['netns', 'exec', cli, PYTHON, DELAY_LINE, 'no-tx-csum', clientDev], { timeout: 15_000 });
    } catch (e) {
      link.disposeSync();
      throw e;
    }
    return link;
  }

  /** (Re)starts the wire with `impairment`; the links stay up, connections survive the swap. */
  async impair(impairment: Impairment): Promise<void> {
    this.#stopLine();
    this.#linePid = await startDelayLine(this.lineNs, this.lineDevs[0], this.lineDevs[1], impairment.delayMs, {
      ...(impairment.loss ? { loss: impairment.loss } : {}),
      ...(impairment.rateKbps ? { rateKbps: impairment.rateKbps } : {}),
    });
  }

  #stopLine(): void {
    if (this.#linePid === undefined) return;
    try {
      process.kill(this.#linePid, 'SIGKILL');
    } catch {
      // gone already
    }
    this.#linePid = undefined;
  }

  async dispose(): Promise<void> {
    this.disposeSync();
    await rm(this.wrapperDir, { recursive: true, force: true });
  }

  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    process.removeListener('exit', this.#exitHandler);
    this.#stopLine();
    for (const ns of [this.clientNs, this.lineNs]) destroyNamespaceSync(ns);
    try {
      execFileSync('ip', ['link', 'del', this.rootDev], { stdio: 'ignore' });
    } catch {
      // went with its peer
    }
  }
}
