import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry personal data (ID numbers, phones, names of applicants, signatures).
 * They are censored wherever they appear in a log object, so a careless `log.info({record})`
 * cannot leak them.
 */
const REDACT_PATHS = [
  '*.idNumber', '*.*.idNumber', 'idNumber',
  '*.phone', '*.*.phone', 'phone',
  '*.applicant', 'applicant',
  'req.headers.cookie', '*.cookie', 'cookie',
  '*.password', '*.secret', '*.token',
];

/** Creates the process logger: JSON lines on stdout (or a destination), personal data redacted. */
export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'rvw' },
    },
    options.destination ?? process.stdout,
  );
}

/** A logger that writes nothing, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
