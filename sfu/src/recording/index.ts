/** Server-side recording: every track of a session into WebM segments, no transcoding. */
export { SessionRecorder, type SessionRecorderOptions, type TrackToRecord } from './SessionRecorder.js';
export { TrackRecorder, type TrackRecorderOptions, type TrackRecorderEvents } from './TrackRecorder.js';
export type { RecordedSegment, RecordedSource, RecordedTrack, RecorderLogger, SegmentEndReason, SessionRecorderEvents } from './types.js';
export { fileDigest } from './fileDigest.js';
export { RecorderPool, type RecorderPoolOptions, type WarmShape } from './RecorderPool.js';
export { RecorderHost, type RecorderHostOptions } from './RecorderHost.js';
export { recorderCodecOf, type RecorderCodec } from './recorderSdp.js';
