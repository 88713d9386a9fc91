import QRCode from 'qrcode';
import { concatTransformationMatrix, fill, popGraphicsState, pushGraphicsState, rectangle, setFillingRgbColor, type PDFPage } from 'pdf-lib';

/**
 * Draws `text` as a QR code whose lower-left corner is (x, y) and side is `size` points,
 * as vector rectangles: one path with a rectangle per horizontal run of dark modules, filled
 * once, so it stays sharp at any print resolution and costs no image decoding. Coordinates are
 * in module units under a scaling matrix: small integers keep the content stream short.
 */
export function drawQrCode(page: PDFPage, options: { text: string; x: number; y: number; size: number }): void {
  const qr = QRCode.create(options.text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  // A 4-module quiet zone is part of the symbol (ISO/IEC 18004), so scanners find its edges.
  const module = options.size / (n + 8);
  const operators = [
    pushGraphicsState(),
    setFillingRgbColor(0, 0, 0),
    concatTransformationMatrix(module, 0, 0, module, options.x + 4 * module, options.y + 4 * module),
  ];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!qr.modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && qr.modules.get(row, col)) col++;
      operators.push(rectangle(start, n - 1 - row, col - start, 1));
    }
  }
  operators.push(fill(), popGraphicsState());
  page.pushOperators(...operators);
}
