/** Local capture for the counter (mic, face camera, 高拍仪 document camera) and the clerk. */

/** Why capture failed, in words a hall's staff can act on. */
export class MediaAccessError extends Error {
  constructor(
    readonly code: 'PERMISSION_DENIED' | 'DEVICE_MISSING' | 'DEVICE_BUSY' | 'UNSUPPORTED',
    message: string,
  ) {
    super(message);
  }
}

/** Translates a getUserMedia/getDisplayMedia failure into a MediaAccessError with a Chinese message. */
export function explainMediaError(e: unknown, what: string): MediaAccessError {
  const name = e instanceof DOMException ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MediaAccessError('PERMISSION_DENIED', `${what}权限被拒绝。请在浏览器地址栏左侧允许使用${what}，然后刷新页面。`);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new MediaAccessError('DEVICE_MISSING', `未检测到${what}。请检查设备是否已连接，或联系大厅技术人员。`);
    case 'NotReadableError':
    case 'AbortError':
      return new MediaAccessError('DEVICE_BUSY', `${what}被其他程序占用或无法启动。请关闭其他使用该设备的程序后重试。`);
    default:
      return new MediaAccessError('UNSUPPORTED', `无法使用${what}：${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Picks the document camera: a device whose label says so, else the second camera, else the first. */
export function pickDocumentCamera(devices: MediaDeviceInfo[], faceDeviceId?: string): MediaDeviceInfo | undefined {
  const cams = devices.filter((d) => d.kind === 'videoinput');
  const labelled = cams.find((d) => /高拍|document|doc ?cam|visualizer|scanner/i.test(d.label));
  if (labelled) return labelled;
  return cams.find((d) => d.deviceId !== faceDeviceId) ?? cams[0];
}

/** Microphone + face camera (+ document camera for counters). */
export async function captureLocal(withDocumentCamera: boolean): Promise<{ mic: MediaStreamTrack; face: MediaStreamTrack; document?: MediaStreamTrack }> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaAccessError('UNSUPPORTED', '此浏览器不支持音视频通话，请使用最新版 Chromium 内核浏览器，并通过 https 访问。');
  }
  let mic: MediaStreamTrack | undefined;
  let face: MediaStreamTrack | undefined;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: { width: 1280, height: 720, frameRate: 25 } });
    mic = stream.getAudioTracks()[0];
    face = stream.getVideoTracks()[0];
  } catch (e) {
    throw explainMediaError(e, '摄像头和麦克风');
  }
  if (!mic || !face) throw new MediaAccessError('DEVICE_MISSING', '未检测到摄像头或麦克风。请检查设备连接。');
  if (!withDocumentCamera) return { mic, face };
  const devices = await navigator.mediaDevices.enumerateDevices();
  const doc = pickDocumentCamera(devices, face.getSettings().deviceId);
  if (!doc) throw new MediaAccessError('DEVICE_MISSING', '未检测到高拍仪。请检查高拍仪的 USB 连接。');
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: doc.deviceId ? { exact: doc.deviceId } : undefined, width: 1920, height: 1080, frameRate: 15 } });
    const document = stream.getVideoTracks()[0];
    if (!document) throw new MediaAccessError('DEVICE_MISSING', '未检测到高拍仪。');
    return { mic, face, document };
  } catch (e) {
    if (e instanceof MediaAccessError) throw e;
    throw explainMediaError(e, '高拍仪');
  }
}

/** The screen (or window) the clerk shares to guide the applicant. */
export async function captureScreen(): Promise<MediaStreamTrack> {
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 10 }, audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new MediaAccessError('DEVICE_MISSING', '未选择要共享的屏幕。');
    return track;
  } catch (e) {
    if (e instanceof MediaAccessError) throw e;
    throw explainMediaError(e, '屏幕共享');
  }
}

/** Grabs one frame of a video element as JPEG bytes (a 高拍仪 snapshot becomes a case material). */
export async function snapshot(video: HTMLVideoElement, quality = 0.9, overlay?: (ctx: CanvasRenderingContext2D, width: number, height: number) => void): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth || 1280;
  canvas.height = video.videoHeight || 720;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  // What is drawn over the picture on screen (the clerk's marks) goes into the still too.
  overlay?.(ctx, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('snapshot failed'))), 'image/jpeg', quality));
}
