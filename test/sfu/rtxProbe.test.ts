// The worker this project builds (infra/scripts/build-worker.sh) carries a backport of
// versatica/mediasoup#1653 (infra/mediasoup/mediasoup-3.15.8-rtx-probe-fills-hole.patch).
// libwebrtc probes bandwidth by resending recent packets over RTX; when the original of such a
// packet is lost on the way in, the probe's copy is the first the producer sees of it. The stock
// 3.15.8 worker recorded it as recovered and dropped it, and never NACKed it again: the packet was
// gone for good and the receiver's picture froze until its own keyframe request (~3 s, seen at
// 2 % loss / 100 ms, docs/networks.md). Here a sender socket plays the browser:
//
//   sender --RTP + RTX--> plain in (producer, NACK + RTX) -> consumer on plain out --RTP--> sink
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { MEDIA_CODECS, WorkerPool } from '@rvw/sfu';
import { buildRtpPacket, isRtcp, parseRtpHeader, startUdpSink, waitFor, type UdpSink } from './rtp';

const LISTEN = { protocol: 'udp' as const, ip: '127.0.0.1' };
const SSRC = 51_515_151;
const RTX_SSRC = 51_515_152;
const PT = 101;
const RTX_PT = 102;

/**
 * A one-packet VP8 frame whose body carries `id`: the payload descriptor (X=1, S=1, partition 0;
 * I=1 with a 15-bit picture id, as libwebrtc sends it and as the worker requires), then the frame.
 */
function vp8Payload(id: number, keyFrame: boolean): Buffer {
  const body = Buffer.alloc(40, 0x33);
  // The VP8 frame tag: bit 0 clear on a keyframe; then the keyframe start code and a 640x480 size.
  Buffer.from([keyFrame ? 0x00 : 0x01, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]).copy(body, 0);
  body.write('RVW-ID', 20, 'ascii');
  body.writeUInt32BE(id, 26);
  return Buffer.concat([Buffer.from([0x90, 0x80, 0x80 | ((id >> 8) & 0x7f), id & 0xff]), body]);
}
const idOf = (packet: Buffer): number | undefined => {
  const h = parseRtpHeader(packet);
  if (!h) return undefined;
  const at = packet.indexOf('RVW-ID', h.headerLength, 'ascii');
  return at < 0 ? undefined : packet.readUInt32BE(at + 6);
};

/** RTCP generic NACKs (RTPFB, FMT 1) in a datagram: the sequence numbers they ask for. */
function nackedSeqs(datagram: Buffer): number[] {
  const seqs: number[] = [];
  for (let off = 0; off + 4 <= datagram.length; ) {
    const length = (datagram.readUInt16BE(off + 2) + 1) * 4;
    if (datagram[off + 1] === 205 && (datagram[off]! & 0x1f) === 1) {
      for (let fci = off + 12; fci + 4 <= off + length; fci += 4) {
        const pid = datagram.readUInt16BE(fci);
        const blp = datagram.readUInt16BE(fci + 2);
        seqs.push(pid);
        for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) seqs.push((pid + bit + 1) & 0xffff);
      }
    }
    off += length;
  }
  return seqs;
}

describe('the built worker: an RTX copy of a packet not seen yet fills the hole (backport of mediasoup#1653)', () => {
  let pool: WorkerPool;
  let router: types.Router;
  let sink: UdpSink;
  let sender: dgram.Socket;
  const nacked: number[] = [];

  beforeAll(async () => {
    pool = await WorkerPool.create({ numWorkers: 1 });
    router = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    sink = await startUdpSink();
    sender = dgram.createSocket('udp4');
    sender.on('message', (m) => {
      if (isRtcp(m)) nacked.push(...nackedSeqs(m));
    });
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    sender?.close();
    await sink?.close();
    await pool?.close();
  });

  it('passes the copy as the packet it carries, counts it repaired, and asks for no copy of it again', async () => {
    const input = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
    const producer = await input.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          { mimeType: 'video/VP8', payloadType: PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] },
          { mimeType: 'video/rtx', payloadType: RTX_PT, clockRate: 90000, parameters: { apt: PT } },
        ],
        encodings: [{ ssrc: SSRC, rtx: { ssrc: RTX_SSRC } }],
      },
    });
    const output = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
    await output.connect({ ip: '127.0.0.1', port: sink.port });
    const consumer = await output.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    expect(consumer.paused).toBe(false);

    const to = input.tuple.localPort;
    const send = (packet: Buffer) => new Promise<void>((r) => sender.send(packet, to, '127.0.0.1', () => r()));
    const media = (seq: number, keyFrame = false) =>
      buildRtpPacket({ payloadType: PT, sequenceNumber: seq, timestamp: 90_000 + seq * 3000, ssrc: SSRC, marker: true, payload: vp8Payload(seq, keyFrame) });
    const rtxOf = (seq: number, rtxSeq: number) => {
      const original = media(seq);
      const osn = Buffer.alloc(2);
      osn.writeUInt16BE(seq);
      return buildRtpPacket({ payloadType: RTX_PT, sequenceNumber: rtxSeq, timestamp: 90_000 + seq * 3000, ssrc: RTX_SSRC, marker: true, payload: Buffer.concat([osn, original.subarray(12)]) });
    };
    const received = () => sink.packets.map(idOf).filter((id): id is number => id !== undefined);

    // 100–102 arrive; 103 is lost on the way in, and the RTX probe carrying it comes before 104.
    await send(media(100, true));
    for (const seq of [101, 102]) await send(media(seq));
    await waitFor(() => received().length === 3, 3000);
    await send(rtxOf(103, 7000));
    await send(media(104));
    await send(media(105));
    // 106 is lost for real (no copy comes): the producer must ask for it — NACKs work on this path.
    await send(media(107));
    await waitFor(() => nacked.includes(106), 3000);
    await waitFor(() => received().length === 7, 3000);

    // The stock worker dropped the copy and never NACKed 103: [100, 101, 102, 104, 105, 107].
    expect(received()).toEqual([100, 101, 102, 103, 104, 105, 107]);
    expect(nacked).not.toContain(103);
    const [stats] = await producer.getStats();
    expect(stats?.packetsRepaired).toBe(1);
    input.close();
    output.close();
  });
});
