const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/**
 * True for an 18-character resident ID number (GB 11643-1999) with a real birth date and a correct
 * check character; catches the typos a clerk would otherwise find only after the call.
 */
export function isValidIdNumber(idNumber: string): boolean {
  if (!/^[1-9]\d{16}[\dX]$/.test(idNumber)) return false;
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(idNumber[i]) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] === idNumber[17];
}
