import type { types } from 'mediasoup';

/**
 * The SDP the recorder reads: one m-line per track, each arriving on 127.0.0.1:port (RTCP on
 * port + 1). Plain RTP/AVP: mediasoup and the recorder share the loopback interface, nothing
 * leaves the host, so SRTP would only cost CPU.
 */
export function recorderSdp(lines: { codec: RecorderCodec; port: number }[]): string {
  const media = lines.flatMap(({ codec, port }) => {
    const name = codec.mimeType.split('/')[1] ?? '';
    const channels = codec.channels !== undefined && codec.channels > 1 ? `/${codec.channels}` : '';
    return [`m=${codec.kind} ${port} RTP/AVP ${codec.payloadType}`, `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`, 'a=recvonly'];
  });
  return ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=rvw-recording', 'c=IN IP4 127.0.0.1', 't=0 0', ...media, ''].join('\r\n');
}

export interface RecorderCodec {
  kind: types.MediaKind;
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
}

/**
 * The codec the recorder's consumer of `producer` will carry, known before consuming: a consumer
 * gets the router's payload type for the producer's codec. Lets the recorder process start while
 * mediasoup builds the transport and consumer (start cost is on the call's critical path).
 */
export function recorderCodecFor(router: types.Router, producer: types.Producer): RecorderCodec {
  const mime = producer.rtpParameters.codecs[0]?.mimeType.toLowerCase();
  const c = (router.rtpCapabilities.codecs ?? []).find((x) => x.mimeType.toLowerCase() === mime);
  if (c === undefined || c.preferredPayloadType === undefined) throw new Error(`router has no codec ${mime ?? '?'}`);
  return { kind: producer.kind, mimeType: c.mimeType, payloadType: c.preferredPayloadType, clockRate: c.clockRate, ...(c.channels !== undefined ? { channels: c.channels } : {}) };
}

/** The recorder codec of a router's `mimeType` (e.g. 'video/VP8'), for starting recorders ahead. */
export function recorderCodecOf(routerCapabilities: types.RtpCapabilities, mimeType: string): RecorderCodec | undefined {
  const c = (routerCapabilities.codecs ?? []).find((x) => x.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (c === undefined || c.preferredPayloadType === undefined) return undefined;
  return { kind: c.kind, mimeType: c.mimeType, payloadType: c.preferredPayloadType, clockRate: c.clockRate, ...(c.channels !== undefined ? { channels: c.channels } : {}) };
}

/**
 * What the recorder can receive: the router's codecs without RTX and without feedback it will
 * never send (ffmpeg's RTP demuxer sends no NACK/PLI and ignores RTX), and no header extensions.
 */
export function recorderRtpCapabilities(router: types.Router): types.RtpCapabilities {
  return {
    codecs: (router.rtpCapabilities.codecs ?? [])
      .filter((c) => !c.mimeType.toLowerCase().endsWith('/rtx'))
      .map((c) => ({ ...c, rtcpFeedback: [] })),
    headerExtensions: [],
  };
}
