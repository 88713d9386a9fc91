import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecorderPool } from '@rvw/sfu/recording/index';
import { udpPortBound } from '@rvw/sfu/recording/udpPorts';

const OPUS = { kind: 'audio' as const, mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 };
const VP8 = { kind: 'video' as const, mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 };
const quiet = { info: () => undefined, warn: () => undefined };
const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && process.kill(pid, 0);
  } catch {
    return false;
  }
};

// Recorders started ahead: real ffmpeg processes listening on their ports before a call needs
// them. An idle one outlives ffmpeg's 10 s read timeout (the pool pokes it with RTCP APP, which
// writes nothing); a taken one is replaced; draining ends the idle ones and leaves no files.
describe('recorders started ahead (RecorderPool)', () => {
  let dir: string;
  let pool: RecorderPool;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-pool-'));
    pool = new RecorderPool({ dir, logger: quiet, keepaliveMs: 2000 });
  });
  afterAll(async () => {
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the asked number listening, past the 10 s read timeout; a taken one is replaced; drain leaves nothing', { timeout: 60_000 }, async () => {
    pool.keepWarm([
      { codecs: [VP8], count: 2 },
      { codecs: [OPUS], count: 1 },
      // A call's tracks in one process: every m-line listening, each its own file.
      { codecs: [VP8, VP8, OPUS], count: 1 },
    ]);
    await expect.poll(() => pool.ready, { timeout: 20_000 }).toBe(4);
    // A shape is taken whole or not at all.
    expect(pool.take([VP8, OPUS])).toBeUndefined();
    const shared = pool.take([VP8, VP8, OPUS])!;
    expect(shared.codecs).toEqual([VP8, VP8, OPUS]);
    expect(new Set(shared.ports).size).toBe(3);
    expect(new Set(shared.files).size).toBe(3);
    for (const port of shared.ports) expect(await udpPortBound(port), `shared m-line on ${port}`).toBe(true);
    const first = pool.take([OPUS])!;
    expect(first).toBeDefined();
    expect(first.codecs).toEqual([OPUS]);
    expect(await udpPortBound(first.ports[0]!)).toBe(true);
    // On loopback only, never on every interface (nobody else may put packets into the evidence).
    for (const port of [...first.ports, ...shared.ports]) {
      const hex = port.toString(16).toUpperCase().padStart(4, '0');
      const bound = (await readFile('/proc/net/udp', 'utf8')).split('\n').map((l) => l.trim().split(/\s+/)[1]).filter((a) => a?.endsWith(`:${hex}`));
      expect(bound).toEqual([`0100007F:${hex}`]);
    }
    // Their places are taken by new ones.
    await expect.poll(() => pool.ready, { timeout: 20_000 }).toBe(4);
    await shared.discard();
    const idle = pool.take([VP8])!;
    pool.keepWarm([{ codecs: [VP8], count: 2 }]);
    await expect.poll(() => pool.ready, { timeout: 20_000 }).toBe(4);
    // The others idle for longer than ffmpeg's 10 s read timeout and are still there.
    const before = pool.pids.sort();
    await new Promise((r) => setTimeout(r, 12_000));
    // The very same processes (none ended and was replaced meanwhile).
    expect(pool.pids.sort()).toEqual(before);
    expect(before.every(alive)).toBe(true);
    for (const w of [first, idle]) w.proc.kill('SIGKILL');
    // Drained recorders are gone with their SDP and output files.
    await pool.drain();
    expect(pool.ready).toBe(0);
    // SIGKILL is delivered, not awaited: the process may take a moment to be gone (CI failed on it).
    await expect.poll(() => alive(first.proc.pid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => alive(shared.proc.pid), { timeout: 5000 }).toBe(false);
    // Only the two taken ones' SDP files remain (theirs to remove, as a track's recorder does).
    await expect.poll(async () => (await readdir(dir)).filter((f) => f.endsWith('.sdp')).sort(), { timeout: 5000 }).toEqual([path.basename(first.sdpFile), path.basename(idle.sdpFile)].sort());
    // Nor files, but those of the two taken ones (a track's recorder keeps or removes its own).
    const taken = [...first.files, ...idle.files].map((f) => path.basename(f));
    expect((await readdir(dir)).filter((f) => f.endsWith('.webm') && !taken.includes(f))).toEqual([]);
  });
});
