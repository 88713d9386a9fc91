import { maskIdNumber } from './maskIdNumber.js';
import { maskPhone } from './maskPhone.js';

// An 18-character ID number or an 11-digit mobile number anywhere inside a string, but not inside a
// longer run of letters and digits, so SHA-256 hex digests and similar tokens stay intact.
const ID_NUMBER = /(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])/g;
const MOBILE = /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/g;

/**
 * Returns a deep copy of `value` with every ID number and mobile number inside its strings masked.
 * Audit events are kept forever and read by auditors, so free text (case fields, chat, reasons)
 * goes through this before it is written to the chain.
 */
export function redactPersonalData<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ID_NUMBER, (m) => maskIdNumber(m)).replace(MOBILE, (m) => maskPhone(m)) as T;
  if (Array.isArray(value)) return value.map((v) => redactPersonalData(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactPersonalData(v)])) as T;
  }
  return value;
}
