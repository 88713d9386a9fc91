/**
 * Masks a phone number for display: a mobile keeps its first 3 and last 4 digits
 * (`13812345678` → `138****5678`); other numbers keep only their last 4 characters.
 */
export function maskPhone(phone: string): string {
  const s = phone.trim();
  if (/^1\d{10}$/.test(s)) return `${s.slice(0, 3)}****${s.slice(-4)}`;
  if (s.length > 4) return '*'.repeat(s.length - 4) + s.slice(-4);
  return '*'.repeat(s.length);
}
