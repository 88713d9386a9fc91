/**
 * Masks a resident ID number for display: the first 4 (province + city) and last 4 characters
 * stay, e.g. `341522199001011234` → `3415**********1234`. Short or odd input is masked whole
 * but for its last character or two, so nothing useful leaks from malformed data either.
 */
export function maskIdNumber(idNumber: string): string {
  const s = idNumber.trim();
  if (s.length >= 12) return s.slice(0, 4) + '*'.repeat(s.length - 8) + s.slice(-4);
  if (s.length >= 4) return '*'.repeat(s.length - 2) + s.slice(-2);
  return '*'.repeat(s.length);
}
