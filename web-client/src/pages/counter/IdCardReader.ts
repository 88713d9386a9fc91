/**
 * 人证核验 at the counter (#18): reading the applicant's 二代身份证.
 *
 * A real reader is a USB device on the counter terminal; its vendor ships a local service (an HTTP
 * service on the terminal's loopback) that reads the chip and returns its fields and the decoded
 * photo. That service is the integration point: `RVW_IDCARD_READER_URL` names it, the page asks it
 * with one POST, and {@link parseReading} maps its answer. Tests put a fake service in its place
 * (test/harness/fakeIdCardReader.ts) whose readings say `sample: true`, shown as 样例数据 on both
 * screens. docs/identity.md describes the contract.
 */

/** What the counter takes from a card: the chip's name, number and photo. */
export interface IdCardReading {
  name: string;
  idNumber: string;
  /** The chip photo as JPEG, base64. */
  photoJpegBase64: string;
  /** Produced by a test reader, not read from a real card. */
  sample: boolean;
}

/** A reader integration. */
export interface IdCardReader {
  read(): Promise<IdCardReading>;
}

/** A reading that failed, with what the counter's staff should do about it. */
export class IdCardReadError extends Error {}

/**
 * The vendor's local service: `POST <url>` answers `200 {name, idNumber, photo, sample?}` — `photo`
 * a base64 image (JPEG, BMP or PNG: readers decode the chip's WLT picture to one of these) — or
 * `200 {noCard: true}` when no card lies on the reader (an ordinary answer, not an HTTP error the
 * browser would log); anything else is a failed read. It must answer CORS (and Chrome's
 * private-network preflight) for the node's origin.
 */
export class LocalReaderService implements IdCardReader {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async read(): Promise<IdCardReading> {
    let res: Response;
    try {
      res = await fetch(this.#url, { method: 'POST', signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new IdCardReadError('读卡器未连接或无响应，请检查读卡器后重试，或手工填写');
    }
    if (!res.ok) throw new IdCardReadError('读卡失败，请重新放置身份证后重试');
    return parseReading(await res.json().catch(() => undefined));
  }
}

/** Maps the service's answer; refuses one that lacks a field the case needs. */
export async function parseReading(body: unknown): Promise<IdCardReading> {
  const b = (body ?? {}) as { name?: unknown; idNumber?: unknown; photo?: unknown; sample?: unknown; noCard?: unknown };
  if (b.noCard === true) throw new IdCardReadError('未检测到身份证，请将身份证放在读卡器上后重试');
  if (typeof b.name !== 'string' || typeof b.idNumber !== 'string' || typeof b.photo !== 'string' || !/^\d{17}[\dXx]$/.test(b.idNumber)) {
    throw new IdCardReadError('读卡器返回的信息不完整，请重新读卡');
  }
  return { name: b.name.trim(), idNumber: b.idNumber.toUpperCase(), photoJpegBase64: await asJpeg(b.photo), sample: b.sample === true };
}

/** The photo as JPEG: readers that give BMP or PNG are re-encoded through a canvas. */
async function asJpeg(base64: string): Promise<string> {
  const head = atob(base64.slice(0, 8));
  if (head.startsWith('\xff\xd8\xff')) return base64;
  const mime = head.startsWith('BM') ? 'image/bmp' : head.startsWith('\x89PNG') ? 'image/png' : undefined;
  if (!mime) throw new IdCardReadError('读卡器返回的照片无法识别，请重新读卡');
  const img = new Image();
  img.src = `data:${mime};base64,${base64}`;
  await img.decode().catch(() => {
    throw new IdCardReadError('读卡器返回的照片无法识别，请重新读卡');
  });
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.getContext('2d')!.drawImage(img, 0, 0);
  return canvas.toDataURL('image/jpeg', 0.92).split(',')[1]!;
}
