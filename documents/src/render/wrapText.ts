/** Punctuation that must not start a line (避头), per Chinese typesetting rules (GB/T 15834 practice). */
const NO_LINE_START = new Set([...'，。、；：？！）》」』”’〕】…—%,.;:?!)]}·']);
/** Punctuation that must not end a line (避尾). */
const NO_LINE_END = new Set([...'（《「『“‘〔【([{']);

/**
 * Splits text into lines no wider than `maxWidth` (as measured by `measure`).
 *
 * Chinese breaks between any two characters; runs of Latin letters/digits (numbers, codes such as
 * RVW-341522-…) stay together unless a run alone is wider than the line. Closing punctuation is
 * hung at the end of the line instead of starting the next one, and opening punctuation moves
 * down with the character it opens. Explicit `\n` starts a new line. `firstLineIndent` narrows
 * the first line (paragraph indent of two characters).
 */
export function wrapText(text: string, maxWidth: number, measure: (s: string) => number, firstLineIndent = 0): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    const tokens = tokenize(paragraph);
    let line = '';
    let width = 0;
    const limit = () => maxWidth - (lines.length === 0 ? firstLineIndent : 0);
    for (const token of tokens) {
      const w = measure(token);
      if (line === '' || width + w <= limit() || NO_LINE_START.has(token)) {
        line += token;
        width += w;
        continue;
      }
      if (w > limit()) {
        // A Latin run longer than a whole line: break it by character, as Chinese would.
        for (const char of token) {
          const cw = measure(char);
          if (line !== '' && width + cw > limit()) {
            lines.push(line);
            line = '';
            width = 0;
          }
          line += char;
          width += cw;
        }
        continue;
      }
      let carry = '';
      // Move a trailing opening bracket down with the text it opens.
      const last = [...line].at(-1);
      if (last !== undefined && NO_LINE_END.has(last) && line.length > last.length) {
        line = line.slice(0, -last.length);
        carry = last;
      }
      lines.push(line);
      // A space that caused the break is dropped rather than indenting the next line.
      line = carry + (/^\s+$/.test(token) ? '' : token);
      width = measure(line);
    }
    lines.push(line);
  }
  return lines;
}

/** Each CJK character (and punctuation mark) is its own token; Latin/digit runs and spaces group. */
function tokenize(text: string): string[] {
  return text.match(/[A-Za-z0-9@#&*+\-_./:=%,]+|\s+|[^\sA-Za-z0-9@#&*+\-_./:=%,]/gu) ?? [];
}
