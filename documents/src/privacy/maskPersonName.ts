/**
 * Masks a person's name the way Chinese government services display it: 张三 → 张*,
 * 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜. Keeps the surname initial so staff can still tell records apart.
 */
export function maskPersonName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}
