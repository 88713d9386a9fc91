/** Masks a person's name for lists seen before the case is accepted: `陈添荣` → `陈**`. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return chars.join('');
  return chars[0] + '*'.repeat(chars.length - 1);
}
