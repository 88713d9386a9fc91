import type { LeavingCase } from './CaseArchive.js';

/** Dependencies of {@link pruneLiveCases}. */
export interface PruneLiveCasesDeps {
  /** Finished cases the archive holds that Redis may let go (CaseArchive.leaving). */
  leaving(finishedBefore: number, limit: number): Promise<LeavingCase[]>;
  /** Takes the case out of Redis if it is still at that version (CaseStore.evict). */
  evict(id: string, version: number): Promise<'evicted' | 'changed' | 'absent'>;
  /** Records that Redis no longer holds it (CaseArchive.markGone). */
  markGone(id: string, version: number): Promise<void>;
  clock: () => Date;
  /** How long a finished case stays live after it finished (rating, reprints, 差评 follow-up). */
  keepFinishedMs: number;
  /** Cases handled per round; default 200. */
  batch?: number;
  /** Rounds per call at most (a node does the rest at its next call); default 25. */
  maxRounds?: number;
}

/**
 * Moves finished cases out of Redis once the archive holds them: each case that finished more
 * than `keepFinishedMs` ago, with nothing left open on it, and archived at the version Redis
 * still has, is removed from Redis (compare-and-delete on that version) and marked as held by
 * the archive alone. A case that changed since it was archived stays (the archive catches up
 * first and it is looked at again next time). Reads then come from the archive; a later change
 * brings the case back into Redis (CaseStore). Answers how many moved and how many stayed.
 */
export async function pruneLiveCases(deps: PruneLiveCasesDeps): Promise<{ moved: number; changed: number }> {
  const batch = deps.batch ?? 200;
  const cutoff = deps.clock().getTime() - deps.keepFinishedMs;
  let moved = 0;
  let changed = 0;
  const skip = new Set<string>();
  for (let round = 0; round < (deps.maxRounds ?? 25); round++) {
    const leaving = (await deps.leaving(cutoff, batch + skip.size)).filter((c) => !skip.has(c.id));
    for (const c of leaving) {
      const outcome = await deps.evict(c.id, c.version);
      if (outcome === 'changed') {
        changed++;
        skip.add(c.id);
        continue;
      }
      // `absent`: another node moved it, or it was restored and moved again; either way Redis does not hold it.
      await deps.markGone(c.id, c.version);
      if (outcome === 'evicted') moved++;
    }
    if (leaving.length < batch) break;
  }
  return { moved, changed };
}
