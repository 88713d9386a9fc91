import { authorize, can, requireClerk } from '../../auth/policy.js';
import type { Principal } from '../../auth/Principal.js';
import { isDeskId, type CallService } from '../../calls/CallService.js';
import { assertCaseState } from '../../cases/assertCaseState.js';
import { caseFacts } from '../../cases/caseFacts.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { CaseService } from '../../cases/CaseService.js';
import { toCaseView, type CaseView } from '../../cases/toCaseView.js';
import type { CatalogStore } from '../../catalog/CatalogStore.js';
import { AppError } from '../../errors/AppError.js';
import type { RequestType } from '@rvw/protocol/messages';
import type { Connection } from '../Connection.js';
import type { Handler } from '../handlerTypes.js';
import type { MediaRequestType } from './mediaHandlers.js';
import type { DocumentType } from '@rvw/documents';
import type { IssuedDocumentRef } from '../../issuing/issueDocument.js';
import type { Notifications } from '../../notifications/Notifications.js';
import { routeFactsOf } from '../../notifications/Notifications.js';
import type { QueueEntry } from '../../queue/listQueue.js';
import { SharedReads } from '../../queue/SharedReads.js';

/** The case and queue request types: everything that is not a media request. */
export type CaseRequestType = Exclude<RequestType, MediaRequestType | 'cluster.nodes'>;

/** Dependencies of the case handlers. */
export interface CaseHandlerDeps {
  cases: CaseService;
  catalog: CatalogStore;
  calls: CallService;
  /** Where chat and document notifications go, to the sockets of every node. */
  notifications: Pick<Notifications, 'publish'>;
  /** 签章出具: the issueDocument use case (issuing/issueDocument), bound to the node's parts. */
  issueDocument: (principal: Principal, request: { caseId: string; docType: DocumentType }) => Promise<IssuedDocumentRef>;
}


/** The view a caller gets, with queue standing while queued. */
async function viewFor(deps: CaseHandlerDeps, conn: Connection, record: CaseRecord): Promise<CaseView & { queue?: { position: number; estimatedWaitSeconds: number; clerksOnline: number; clerksPaused: number } }> {
  conn.caseSubscriptions.add(record.id);
  const full = toCaseView(record, conn.principal);
  // The chat is for the two sides of the call; an admin or a clerk looking at the queue sees none.
  const view = can(conn.principal, 'chat.read', { case: caseFacts(record) }) ? full : { ...full, chat: [] };
  const queue = `${record.servingRegion}|${record.itemCode}`;
  if (record.state !== 'queued') {
    conn.waitingIn.delete(queue);
    return view;
  }
  // The counter hears this queue's changes while its case waits (its position moves with them).
  if (conn.principal.kind === 'counter') conn.waitingIn.add(queue);
  const q = await deps.cases.queuePosition(record.id).catch(() => undefined);
  return q ? { ...view, queue: { position: q.position, estimatedWaitSeconds: q.estimatedWaitSeconds, clerksOnline: q.clerksOnline, clerksPaused: q.clerksPaused } } : view;
}

function decodeBase64(data: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new AppError('INVALID_MESSAGE', `${what}不是合法的 base64 数据`);
  return new Uint8Array(Buffer.from(data, 'base64'));
}

/**
 * Handlers for the queue and case messages. Each one reads the case, asks the policy module
 * (the only place that decides access), calls one use case and answers with the caller's view.
 */
export function caseHandlers(deps: CaseHandlerDeps): { [T in CaseRequestType]: Handler<T> } {
  const { cases, calls, notifications } = deps;
  const queueReads = new SharedReads<{ entries: QueueEntry[]; regions: Map<string, string> }>();
  const load = async (conn: Connection, caseId: string, action: Parameters<typeof authorize>[1]) => {
    const record = await cases.getCase(caseId);
    authorize(conn.principal, action as 'case.read', { case: caseFacts(record) });
    return record;
  };
  return {
    'queue.join': async (conn, r) => {
      const p = conn.principal;
      const partnership = await deps.catalog.get('partnership', r.partnershipId);
      const offer = partnership?.offers.find((o) => p.kind === 'counter' && o.applicantRegion === p.regionCode);
      // The policy sees the case that would be created; openCase re-checks the offer itself.
      authorize(p, 'case.open', {
        case: {
          servingRegion: offer?.servingRegion ?? '',
          applicantRegion: p.kind === 'counter' ? p.regionCode : '',
          counterId: p.kind === 'counter' ? p.counterId : '',
          itemCode: r.itemCode,
        },
      });
      const record = await cases.openCase(p, {
        partnershipId: r.partnershipId,
        itemCode: r.itemCode,
        applicant: r.applicant,
        ...(r.agent ? { agent: r.agent } : {}),
        ...(r.helper ? { helper: r.helper } : {}),
        ...(r.recordingConsent ? { recordingConsent: r.recordingConsent } : {}),
      });
      return viewFor(deps, conn, record);
    },
    'queue.leave': async (conn, r) => {
      await load(conn, r.caseId, 'queue.leave');
      const record = await cases.leaveQueue(conn.principal, r.caseId);
      // The counter may have connected its (paused) media while waiting.
      calls.end(r.caseId, 'abandoned');
      return viewFor(deps, conn, record);
    },
    'queue.subscribe': async (conn) => {
      const p = conn.principal;
      requireClerk(p, 'queue.subscribe');
      // Subscribed before the read: a queue.changed published while the list is being read must
      // reach this page (which then reads again), or an applicant who joined during the read is
      // missing from the list and nothing ever says so (seen: a clerk page opened while a counter
      // queued never showed that applicant).
      conn.queueSubscribed = true;
      // Every clerk of the same region and items reads the same list (see SharedReads).
      const { entries, regions } = await queueReads.get(`${p.regionCode}|${[...p.itemCodes].sort().join(',')}`, async () => ({
        entries: await cases.listQueue(p.regionCode, p.itemCodes),
        regions: new Map((await deps.catalog.list('region')).map((reg) => [reg.code, reg.name])),
      }));
      return {
        cases: entries
          .filter((e) => can(p, 'queue.read', { queue: { servingRegion: p.regionCode, itemCode: e.itemCode } }))
          .map((e) => ({ ...e, applicantRegionName: regions.get(e.applicantRegion) })),
      };
    },
    'case.transfer': async (conn, r) => {
      await load(conn, r.caseId, 'case.transfer');
      const record = await cases.transfer(conn.principal, r.caseId, { toStaffId: r.toStaffId, note: r.note });
      // The former holder's view: it no longer holds the case, so it no longer follows it either.
      conn.caseSubscriptions.delete(record.id);
      return toCaseView(record, conn.principal);
    },
    'clerk.colleagues': async (conn, r) => ({ colleagues: await cases.colleagues(conn.principal, r.caseId) }),
    'clerk.availability': async (conn, r) => cases.setClerkAvailability(conn.principal, r.paused === undefined ? {} : { paused: r.paused }),
    'queue.accept': async (conn, r) => {
      await load(conn, r.caseId, 'queue.accept');
      const accepted = await cases.acceptCase(conn.principal, r.caseId);
      // A clerk page waiting at its desk is linked at once: the pipes exist before it hears back.
      if (isDeskId(conn.sessionId)) await calls.link(conn, r.caseId);
      return viewFor(deps, conn, accepted);
    },
    'case.get': async (conn, r) => viewFor(deps, conn, await load(conn, r.caseId, 'case.read')),
    'case.update': async (conn, r) => {
      await load(conn, r.caseId, 'case.update');
      return viewFor(deps, conn, await cases.updateFields(conn.principal, r.caseId, { expectedVersion: r.expectedVersion, set: r.fields }));
    },
    'case.transition': async (conn, r) => {
      await load(conn, r.caseId, 'case.transition');
      const record = await cases.transition(conn.principal, r.caseId, {
        to: r.to,
        expectedVersion: r.expectedVersion,
        ...(r.reason ? { reason: r.reason } : {}),
      });
      return viewFor(deps, conn, record);
    },
    'material.capture': async (conn, r) => {
      await load(conn, r.caseId, 'material.capture');
      const bytes = decodeBase64(r.dataBase64, '材料');
      const record = await cases.captureMaterial(conn.principal, r.caseId, {
        kind: 'document_camera',
        bytes,
        mime: r.mime,
        ...(r.materialId ? { materialId: r.materialId } : {}),
      });
      return viewFor(deps, conn, record);
    },
    'material.waive': async (conn, r) => {
      await load(conn, r.caseId, 'material.waive');
      return viewFor(deps, conn, await cases.waiveMaterial(conn.principal, r.caseId, { materialId: r.materialId, note: r.note, deadline: r.deadline }));
    },
    // The whole story (authorize, every refusal before a number is taken, sign, record, notify) is the use case's.
    'document.issue': async (conn, r) => deps.issueDocument(conn.principal, { caseId: r.caseId, docType: r.docType }),
    'chat.send': async (conn, r) => {
      await load(conn, r.caseId, 'chat.send');
      const record = await cases.addChat(conn.principal, r.caseId, { text: r.text });
      const line = record.chat[record.chat.length - 1];
      if (line) {
        // To the participants' sockets only (not every subscriber of the case: admins, other clerks), on any node.
        const event = { type: 'chat.message', caseId: r.caseId, at: line.at, by: line.by, role: line.role, text: line.text } as const;
        notifications.publish(event, { audience: 'parties', caseId: r.caseId, case: routeFactsOf(record) });
      }
      return { at: line?.at };
    },
    'signature.submit': async (conn, r) => {
      await load(conn, r.caseId, 'case.sign');
      return viewFor(deps, conn, await cases.confirmSignature(conn.principal, r.caseId, { png: decodeBase64(r.pngBase64, '签名') }));
    },
    'rating.submit': async (conn, r) => {
      await load(conn, r.caseId, 'rating.submit');
      const record = await cases.rate(conn.principal, r.caseId, { target: r.target, score: r.score, ...(r.comment ? { comment: r.comment } : {}) });
      return viewFor(deps, conn, record);
    },
    'doc.marks': async (conn, r) => {
      const record = await load(conn, r.caseId, 'marks.draw');
      assertCaseState(record, ['in_session'], '在材料画面上标注');
      const at = new Date().toISOString();
      // To the two sides of the call only, on any node: the marks point at the applicant's papers.
      notifications.publish({ type: 'doc.marks', caseId: r.caseId, marks: r.marks, at }, { audience: 'parties', caseId: r.caseId, case: routeFactsOf(record) });
      return { at };
    },
    'identity.card': async (conn, r) => {
      await load(conn, r.caseId, 'identity.card');
      const { name, idNumber, sample } = r.card;
      const record = await cases.recordIdCard(conn.principal, r.caseId, { name, idNumber, sample, photo: decodeBase64(r.card.photoBase64, '身份证照片') });
      return viewFor(deps, conn, record);
    },
    'identity.photo': async (conn, r) => {
      await load(conn, r.caseId, 'identity.photo');
      return cases.chipPhoto(conn.principal, r.caseId);
    },
    'identity.verify': async (conn, r) => {
      await load(conn, r.caseId, 'identity.verify');
      return viewFor(deps, conn, await cases.recordIdentityVerdict(conn.principal, r.caseId, r.result));
    },
    'form.set': async (conn, r) => {
      await load(conn, r.caseId, 'form.fill');
      return viewFor(deps, conn, await cases.fillForm(conn.principal, r.caseId, { key: r.key, value: r.value, expectedRev: r.expectedRev }));
    },
    'call.mode': async (conn, r) => {
      await load(conn, r.caseId, 'call.mode');
      const record = await cases.reportCallMode(conn.principal, r.caseId, { proposed: r.proposed, measured: r.measured });
      return { mode: record.media?.mode ?? 'full' };
    },
    'session.end': async (conn) => {
      const callId = calls.callOf(conn);
      if (!callId) throw new AppError('NOT_IN_SESSION', '当前不在通话中', 409);
      await load(conn, callId, 'session.end');
      calls.end(callId, 'ended_by_clerk');
      return { ended: true };
    },
  };
}
