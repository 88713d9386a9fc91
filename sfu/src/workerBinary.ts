import { accessSync, constants } from 'node:fs';
import { workerBin } from 'mediasoup';

/** Error code of the error thrown by assertWorkerBinary() when the worker binary is unusable. */
export const SFU_WORKER_MISSING = 'SFU_WORKER_MISSING';

/** Path of the mediasoup-worker binary mediasoup spawns (MEDIASOUP_WORKER_BIN, else worker/out/Release/mediasoup-worker in the package). */
export function resolveWorkerBinary(): string {
  // mediasoup reads MEDIASOUP_WORKER_BIN (and MEDIASOUP_BUILDTYPE) once, when it is first loaded;
  // its exported workerBin is therefore exactly the path every createWorker() will spawn.
  return workerBin;
}

/** Throws an Error with code SFU_WORKER_MISSING unless the worker binary exists and is executable; returns its path. */
export function assertWorkerBinary(): string {
  const binary = resolveWorkerBinary();
  try {
    accessSync(binary, constants.X_OK);
  } catch (cause) {
    const fromEnv = process.env['MEDIASOUP_WORKER_BIN'] ? ' (from MEDIASOUP_WORKER_BIN)' : '';
    throw Object.assign(
      new Error(
        `mediasoup-worker binary not found or not executable at ${binary}${fromEnv}; ` +
          'build it with: bash infra/scripts/build-worker.sh',
        { cause },
      ),
      { code: SFU_WORKER_MISSING },
    );
  }
  return binary;
}
