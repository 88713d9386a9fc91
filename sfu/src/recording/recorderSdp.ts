import type { types } from 'mediasoup';

/**
 * The SDP the recorder reads: one m-line for one consumer's RTP, arriving on 127.0.0.1:port (RTCP
 * on port + 1). Plain RTP/AVP: mediasoup and the recorder share the loopback interface, nothing
 * leaves the host, so SRTP would only cost CPU.
 */
export function recorderSdp(consumer: types.Consumer, port: number): string {
  const codec = consumer.rtpParameters.codecs[0];
  if (codec === undefined) throw new Error(`consumer ${consumer.id} has no codec`);
  const name = codec.mimeType.split('/')[1] ?? '';
  const channels = codec.channels !== undefined && codec.channels > 1 ? `/${codec.channels}` : '';
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=rvw-recording',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=${consumer.kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`,
    'a=recvonly',
    '',
  ].join('\r\n');
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
