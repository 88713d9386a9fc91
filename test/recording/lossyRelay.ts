/** A loopback UDP relay that drops a fraction of RTP packets (RTCP passes), seeded so runs compare. */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface LossyRelay {
  dropped: number;
  forwarded: number;
  close(): void;
}

export function lossyRelays(lossRate: number, seed = 42) {
  let state = seed >>> 0;
  const random = () => {
    // xorshift32: deterministic loss pattern.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const stats: LossyRelay = { dropped: 0, forwarded: 0, close: () => sockets.forEach((s) => s.close()) };
  const sockets: dgram.Socket[] = [];
  const bindForward = async (to: number, lossy: boolean): Promise<number> => {
    const s = dgram.createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.on('message', (msg) => {
      if (lossy && random() < lossRate) {
        stats.dropped++;
        return;
      }
      stats.forwarded++;
      s.send(msg, to, '127.0.0.1');
    });
    return (s.address() as AddressInfo).port;
  };
  return {
    stats,
    via: async (recorderPort: number) => ({ port: await bindForward(recorderPort, true), rtcpPort: await bindForward(recorderPort + 1, false) }),
  };
}
