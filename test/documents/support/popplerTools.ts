import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';

/** What pdfsig printed about the (single) signature of a file. */
export interface PdfsigReport {
  raw: string;
  signatureValid: boolean;
  certificateTrusted: boolean;
  /** The exact line "Total document signed" (not "Not total document signed"). */
  totalDocumentSigned: boolean;
  subFilter: string | undefined;
}

/** Runs a tool and returns stdout+stderr whatever the exit code (pdfsig exits 0 on a digest mismatch anyway). */
function runTool(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `pdfsig -nssdir` and parses its text. */
export async function pdfsig(file: string, nssDir: string): Promise<PdfsigReport> {
  const { stdout, stderr } = await runTool('pdfsig', ['-nssdir', `sql:${nssDir}`, file]);
  const lines = stdout.split('\n').map((l) => l.trim().replace(/^- /, ''));
  return {
    raw: stdout + stderr,
    signatureValid: lines.includes('Signature Validation: Signature is Valid.'),
    certificateTrusted: lines.includes('Certificate Validation: Certificate is Trusted.'),
    totalDocumentSigned: lines.includes('Total document signed'),
    subFilter: lines.find((l) => l.startsWith('Signature Type: '))?.slice('Signature Type: '.length),
  };
}

/** `qpdf --check`: exit code 0 means no structural problems. */
export async function qpdfCheck(file: string): Promise<{ ok: boolean; output: string }> {
  const { code, stdout, stderr } = await runTool('qpdf', ['--check', file]);
  return { ok: code === 0, output: stdout + stderr };
}

/** The text poppler extracts (exercises the ToUnicode CMap of the subset font). */
export async function pdftotext(file: string): Promise<string> {
  const { stdout } = await runTool('pdftotext', ['-layout', file, '-']);
  return stdout;
}

/** A rendered page in 8-bit grey. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Renders page 1 with `pdftoppm -r 50 -gray` and parses the binary PGM (P5). */
export async function renderPage1(file: string): Promise<GrayImage> {
  const prefix = `${file}.page`;
  await runTool('pdftoppm', ['-r', '50', '-gray', '-f', '1', '-l', '1', '-singlefile', file, prefix]);
  const data = await readFile(`${prefix}.pgm`);
  await rm(`${prefix}.pgm`, { force: true });
  // Header: "P5" width height maxval, whitespace separated, then one byte per pixel.
  let offset = 0;
  const fields: string[] = [];
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(data[offset] ?? 32))) offset++;
    let token = '';
    while (!/\s/.test(String.fromCharCode(data[offset] ?? 32))) token += String.fromCharCode(data[offset++] ?? 32);
    fields.push(token);
  }
  offset++; // the single whitespace byte after maxval
  if (fields[0] !== 'P5' || fields[3] !== '255') throw new Error(`unexpected PGM header ${fields.join(' ')}`);
  const width = Number(fields[1]);
  const height = Number(fields[2]);
  return { width, height, pixels: new Uint8Array(data.subarray(offset, offset + width * height)) };
}

/** Share of dark pixels (< 128) in a rectangle given as fractions of the page. */
export function darkRatio(image: GrayImage, region: { left: number; top: number; right: number; bottom: number }): number {
  const x0 = Math.floor(region.left * image.width);
  const x1 = Math.ceil(region.right * image.width);
  const y0 = Math.floor(region.top * image.height);
  const y1 = Math.ceil(region.bottom * image.height);
  let dark = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) if ((image.pixels[y * image.width + x] ?? 255) < 128) dark++;
  }
  return dark / Math.max(1, (x1 - x0) * (y1 - y0));
}
