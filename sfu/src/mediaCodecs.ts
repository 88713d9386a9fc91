import type { types } from 'mediasoup';

/**
 * Codecs every session router offers. Opus for speech; VP8 first because every counter
 * terminal's Chromium encodes it in software without licensing questions; H264 baseline for
 * hardware-encoding terminals (document cameras often emit H264 natively).
 */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 800 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];
