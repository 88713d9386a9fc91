import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../audit/AuditEvent.js';
import type { AuditVerdict } from '../audit/verifyAuditChain.js';
import type { Principal } from '../auth/Principal.js';
import type { BlobStore } from '../blobs/BlobStore.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { acceptCase } from '../queue/acceptCase.js';
import { recordEvidenceExport } from './recordEvidenceExport.js';
import { recordChatView } from './recordChatView.js';
import { recordMaterialView } from './recordMaterialView.js';
import { recordRecordingView } from './recordRecordingView.js';
import { recordRecordingEvent, type RecordingAuditAction } from './recordRecordingEvent.js';
import { leaveQueue } from '../queue/leaveQueue.js';
import { listQueue, type QueueEntry } from '../queue/listQueue.js';
import { openCase } from '../queue/openCase.js';
import { queuePosition, type QueuePosition } from '../queue/queuePosition.js';
import { QueueStore } from '../queue/QueueStore.js';
import type { RedisClient } from '../store/redisClient.js';
import type { ReplicaAck } from '../store/ReplicaAck.js';
import { addChat } from './addChat.js';
import { attachDocument } from './attachDocument.js';
import { captureMaterial } from './captureMaterial.js';
import { CaseBudgets } from './CaseBudgets.js';
import type { Budgets } from '../config.js';
import type { CaseDeps } from './CaseDeps.js';
import type {
  AttachDocumentInput,
  CaptureMaterialInput,
  CaseFieldsPatch,
  ChatInput,
  OpenCaseInput,
  RatingInput,
  SignatureInput,
  TransitionInput,
  WaiveMaterialInput,
} from './CaseInputs.js';
import type { Publish } from './CaseNotification.js';
import type { CaseMaterial, CaseRecord, IdentityResult } from '@rvw/protocol/caseRecord';
import { CaseNumbers } from './CaseNumbers.js';
import { CaseStore, type ArchivedCases } from './CaseStore.js';
import { confirmSignature } from './confirmSignature.js';
import { rateCase } from './rateCase.js';
import { recordCallMode, type CallModeInput } from './recordCallMode.js';
import { readChipPhoto, recordIdCard, recordIdentityVerdict, type IdCardInput } from './identityCheck.js';
import { fillForm, type FormWrite } from './fillForm.js';
import { followUpPoorRating } from './followUpPoorRating.js';
import { setClerkAvailability } from '../queue/setClerkAvailability.js';
import { StaffStore } from '../auth/StaffStore.js';
import { transferCase, type TransferInput } from './transferCase.js';
import { listColleagues, type Colleague } from './listColleagues.js';
import type { PoorRatingFollowUpInput } from '@rvw/protocol/stats';
import { recordPrint, type PrintEventInput } from './recordPrint.js';
import { transitionCase } from './transitionCase.js';
import { updateCaseFields } from './updateCaseFields.js';
import { verifyCaseAudit } from './verifyCaseAudit.js';
import { waiveMaterial } from './waiveMaterial.js';

/** Options of {@link CaseService.create}. */
export interface CaseServiceOptions {
  /** A connected client; the caller owns it. */
  redis: RedisClient;
  /** How a case commit waits for Redis replicas (none by default). */
  replicaAck?: ReplicaAck;
  catalog: CatalogStore;
  blobs: BlobStore;
  /** Receives queue.changed / case.changed after each committed change; must not throw. */
  publish: Publish;
  clock?: () => Date;
  /** Refuse OUTSIDE_SERVICE_HOURS outside the partnership's hours; default true (demos and tests pass false). */
  enforceServiceHours?: boolean;
  /** Budgets of case use cases (cases waiting per counter, material bytes); unlimited when absent. */
  budgets?: Pick<Budgets, 'casesWaitingPerCounter' | 'materialBytesPerCase' | 'materialBytesPerCounterHour'>;
  /** Calls are recorded: cases open only with the applicant's consent (see CaseDeps.recording). */
  recording?: { retentionDays: number };
  /** Case id generator; default a random UUID. */
  newId?: () => string;
  /** The case archive: cases that left Redis are read from it, and brought back from it to change. */
  archive?: ArchivedCases;
  log?: Logger;
}

/**
 * The case use cases bound to their dependencies: the one object the WebSocket and HTTP layers
 * call. Each method is one workflow in its own module, read as the story authorize (the policy
 * module, on the current version of the record) → act → record (one record version with its audit
 * event) → notify, and returns the full record — pass it through toCaseView before it leaves the server.
 */
export class CaseService {
  readonly #deps: CaseDeps;

  private constructor(deps: CaseDeps) {
    this.#deps = deps;
  }

  /** Builds the service and its repositories over the given client and stores. */
  static async create(opts: CaseServiceOptions): Promise<CaseService> {
    const clock = opts.clock ?? (() => new Date());
    return new CaseService({
      cases: await CaseStore.create({ redis: opts.redis, clock, ...(opts.replicaAck ? { replicaAck: opts.replicaAck } : {}), ...(opts.archive ? { archive: opts.archive } : {}) }),
      numbers: await CaseNumbers.create({ redis: opts.redis }),
      queues: await QueueStore.create({ redis: opts.redis, clock }),
      catalog: opts.catalog,
      blobs: opts.blobs,
      clock,
      publish: opts.publish,
      enforceServiceHours: opts.enforceServiceHours ?? true,
      newId: opts.newId ?? randomUUID,
      log: opts.log ?? silentLogger(),
      ...(opts.budgets ? { budgets: new CaseBudgets(opts.redis, opts.budgets) } : {}),
      ...(opts.recording ? { recording: opts.recording } : {}),
      staff: await StaffStore.create({ redis: opts.redis }),
    });
  }

  /** The case repository, for reads the use cases do not cover. */
  get store(): CaseStore {
    return this.#deps.cases;
  }

  /** The record; CASE_NOT_FOUND when absent. Authorize with the policy module, then send toCaseView(record, viewer). */
  getCase(caseId: string): Promise<CaseRecord> {
    return this.#deps.cases.require(caseId);
  }

  /** Counter: opens a case and queues it. */
  openCase(principal: Principal, input: OpenCaseInput): Promise<CaseRecord> {
    return openCase(this.#deps, principal, input);
  }

  /** Clerk: accepts a queued case; one winner per case, others CASE_ALREADY_ACCEPTED. */
  acceptCase(principal: Principal, caseId: string): Promise<CaseRecord> {
    return acceptCase(this.#deps, principal, caseId);
  }

  /** Counter: leaves the queue (abandoned). */
  leaveQueue(principal: Principal, caseId: string): Promise<CaseRecord> {
    return leaveQueue(this.#deps, principal, caseId);
  }

  /** The waiting cases of a serving region (optionally only some items), oldest first. */
  listQueue(servingRegion: string, itemCodes?: readonly string[]): Promise<QueueEntry[]> {
    return listQueue(this.#deps, servingRegion, itemCodes);
  }

  /** Position and estimated wait of a queued case. */
  queuePosition(caseId: string): Promise<QueuePosition> {
    return queuePosition(this.#deps, caseId);
  }

  /** Either side: edits fields against `expectedVersion`. */
  updateFields(principal: Principal, caseId: string, patch: CaseFieldsPatch): Promise<CaseRecord> {
    return updateCaseFields(this.#deps, principal, caseId, patch);
  }

  /** Clerk: request materials / materials received / suspend / resume / complete / reject. */
  transition(principal: Principal, caseId: string, input: TransitionInput): Promise<CaseRecord> {
    return transitionCase(this.#deps, principal, caseId, input);
  }

  /** Either side: stores a snapshot or upload and ticks its checklist line. */
  captureMaterial(principal: Principal, caseId: string, input: CaptureMaterialInput): Promise<CaseRecord> {
    return captureMaterial(this.#deps, principal, caseId, input);
  }

  /** Clerk: 容缺受理 of a missing mandatory material. */
  waiveMaterial(principal: Principal, caseId: string, input: WaiveMaterialInput): Promise<CaseRecord> {
    return waiveMaterial(this.#deps, principal, caseId, input);
  }

  /** Either side: a chat line. */
  addChat(principal: Principal, caseId: string, input: ChatInput): Promise<CaseRecord> {
    return addChat(this.#deps, principal, caseId, input);
  }

  /** Counter: the applicant's signature PNG. */
  confirmSignature(principal: Principal, caseId: string, input: SignatureInput): Promise<CaseRecord> {
    return confirmSignature(this.#deps, principal, caseId, input);
  }

  /** Counter: 好差评 of the clerk or the counter, once each, after closing. */
  rate(principal: Principal, caseId: string, input: RatingInput): Promise<CaseRecord> {
    return rateCase(this.#deps, principal, caseId, input);
  }

  /** Either side of the call: the media mode its own path can carry (the call runs at the worse side's). */
  reportCallMode(principal: Principal, caseId: string, input: CallModeInput): Promise<CaseRecord> {
    return recordCallMode(this.#deps, principal, caseId, input);
  }

  /** Counter: 人证核验 — the applicant's ID card as the reader read it (its chip photo kept until the case closes). */
  recordIdCard(principal: Principal, caseId: string, card: IdCardInput): Promise<CaseRecord> {
    return recordIdCard(this.#deps, principal, caseId, card);
  }

  /** Clerk holding the case: the chip photo read at the counter. */
  chipPhoto(principal: Principal, caseId: string): Promise<{ photoBase64: string; sample: boolean; readAt: string }> {
    return readChipPhoto(this.#deps, principal, caseId);
  }

  /** Clerk holding the case: 人证核验's result. */
  recordIdentityVerdict(principal: Principal, caseId: string, result: IdentityResult): Promise<CaseRecord> {
    return recordIdentityVerdict(this.#deps, principal, caseId, result);
  }

  /** Counter or clerk holding the case: one entry of the application form, compare-and-set on that entry. */
  fillForm(principal: Principal, caseId: string, write: FormWrite): Promise<CaseRecord> {
    return fillForm(this.#deps, principal, caseId, write);
  }

  /** Clerk holding the case: 转办 to a colleague, with a note. */
  transfer(principal: Principal, caseId: string, input: TransferInput): Promise<CaseRecord> {
    return transferCase(this.#deps, principal, caseId, input);
  }

  /** Clerk holding the case: who it may be transferred to. */
  colleagues(principal: Principal, caseId: string): Promise<Colleague[]> {
    return listColleagues(this.#deps, principal, caseId);
  }

  /** Clerk: 示忙/示闲 (or, without `paused`, the current state). */
  setClerkAvailability(principal: Principal, input: { paused?: boolean }): Promise<{ paused: boolean; since: string | null }> {
    return setClerkAvailability(this.#deps, principal, input);
  }

  /** Administrator: what was done about a 差评 (整改), once. */
  followUpPoorRating(principal: Principal, caseId: string, input: PoorRatingFollowUpInput): Promise<CaseRecord> {
    return followUpPoorRating(this.#deps, principal, caseId, input);
  }

  /** Clerk: links an issued document. */
  attachDocument(principal: Principal, caseId: string, input: AttachDocumentInput): Promise<CaseRecord> {
    return attachDocument(this.#deps, principal, caseId, input);
  }

  /** Records a print event of an issued document (from the print router). */
  recordPrint(event: PrintEventInput): Promise<CaseRecord> {
    return recordPrint(this.#deps, event);
  }

  /** Records the export of the case's evidence bundle in its audit chain (see recordEvidenceExport). */
  recordEvidenceExport(principal: Principal, caseId: string): Promise<CaseRecord> {
    return recordEvidenceExport(this.#deps, principal, caseId);
  }

  /** Records that an administrator read the conversation from the archive's case page (see recordChatView). */
  recordChatView(principal: Principal, caseId: string): Promise<CaseRecord> {
    return recordChatView(this.#deps, principal, caseId);
  }

  /** Records that an administrator opened a material from the archive's case page (see recordMaterialView). */
  recordMaterialView(principal: Principal, caseId: string, index: number): Promise<{ record: CaseRecord; material: CaseMaterial }> {
    return recordMaterialView(this.#deps, principal, caseId, index);
  }

  /** Records that `principal` viewed the case's recordings (see recordRecordingView). */
  recordRecordingView(principal: Principal, caseId: string, sha256?: string): Promise<CaseRecord> {
    return recordRecordingView(this.#deps, principal, caseId, sha256);
  }

  /** Appends a recording fact (started, a segment's hash, a gap) to the case's audit chain. */
  recordRecordingEvent(caseId: string, nodeId: string, action: RecordingAuditAction, data: Record<string, unknown>): Promise<CaseRecord> {
    return recordRecordingEvent(this.#deps, caseId, nodeId, action, data);
  }

  /** The record and its audit events, read together (the events up to the record's version). */
  history(caseId: string): Promise<{ record: CaseRecord; events: AuditEvent[] }> {
    return this.#deps.cases.history(caseId);
  }

  /** The audit events of a case and the verdict on their hash chain. */
  audit(caseId: string): Promise<{ events: AuditEvent[]; verdict: AuditVerdict }> {
    return verifyCaseAudit(this.#deps, caseId);
  }
}
