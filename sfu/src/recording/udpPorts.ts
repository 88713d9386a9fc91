import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

/**
 * Pairs handed out lately, not handed out again until their recorder had time to bind them:
 * recorders started together (a pool's refills) probed the same free pair, and the second one
 * failed with `bind failed: Address already in use` (seen in bench:recording).
 */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 10_000;

/**
 * An even loopback UDP port whose successor is free too (RTP on even, RTCP on port + 1, as the
 * recorder's RTP demuxer expects). Probed by binding both; the small race until the recorder binds
 * them is closed by waiting for its bind (udpPortBound) and failing the start otherwise.
 */
export async function freeRtpPortPair(): Promise<number> {
  const now = Date.now();
  for (const [p, until] of handedOut) if (until < now) handedOut.delete(p);
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      a.once('error', reject);
      a.bind(0, '127.0.0.1', () => resolve((a.address() as AddressInfo).port));
    });
    const even = port % 2 === 0 ? port : port + 1;
    a.close();
    if (even + 1 > 65535) continue;
    if (handedOut.has(even)) continue;
    if ((await canBind(even)) && (await canBind(even + 1))) {
      handedOut.set(even, Date.now() + HANDED_OUT_MS);
      return even;
    }
  }
  throw new Error('no free RTP port pair on 127.0.0.1');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Whether some process has a UDP socket bound to `port` (from /proc/net/udp — Linux only, as the node is). */
export async function udpPortBound(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const local = line.trim().split(/\s+/)[1];
      if (local !== undefined && `${local.slice(local.indexOf(':'))} ` === hex) return true;
    }
  }
  return false;
}

let sink: Promise<number> | undefined;

/**
 * A loopback UDP port that reads and drops everything (one per process). A recorder process with
 * several m-lines gets its RTCP sent here instead: ffmpeg re-times every stream of a multi-stream
 * input on the sender reports' NTP clock from the first report on, so each file's timestamps
 * would jump there (by hundreds of ms: mediasoup 3.15 builds its reports from arrival times).
 * Without reports, every stream keeps its own RTP clock from its first packet, as a process of
 * its own does.
 */
export function rtcpSinkPort(): Promise<number> {
  sink ??= new Promise<number>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.on('message', () => undefined);
    s.bind(0, '127.0.0.1', () => {
      s.unref();
      resolve((s.address() as AddressInfo).port);
    });
  });
  return sink;
}
