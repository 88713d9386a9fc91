import type { types } from 'mediasoup';

/**
 * What a recorded track shows. The four protocol MEDIA_SOURCES plus the clerk's side, which the
 * protocol does not distinguish (the role of the producing peer does), so the node names it here.
 */
export type RecordedSource = 'face' | 'document' | 'clerk_face' | 'mic' | 'clerk_mic' | 'screen';

/** Why a segment ended. */
export type SegmentEndReason = 'stopped' | 'removed' | 'producer-closed' | 'router-closed' | 'recorder-failed';

export interface RecordedTrack {
  source: RecordedSource;
  kind: types.MediaKind;
  /** e.g. 'video/VP8', 'audio/opus' — copied, never transcoded. */
  codec: string;
  producerId: string;
  /** Epoch ms when the first packet of this track reached the recorder (mediasoup 'rtp' side: first keyframe sent for video). */
  firstPacketAt: number | null;
}

/** One closed, valid file: one track (one file per track keeps producers that come and go independent). */
export interface RecordedSegment {
  sessionId: string;
  file: string;
  /** Hex SHA-256 of the file, computed after the recorder wrote its trailer. */
  sha256: string;
  bytes: number;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  tracks: RecordedTrack[];
  reason: SegmentEndReason;
}

/** Minimal pino-compatible logger (the node passes its pino child). */
export interface RecorderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SessionRecorderEvents {
  segmentclosed: [RecordedSegment];
  /** A track's recorder could not start or died; the segment (if any) is still reported. */
  error: [Error];
}
