import { CallClient } from '../../call/CallClient';
import { DeviceCache } from '../../call/DeviceCache';
import { captureLocal, captureScreen, MediaAccessError, snapshot } from '../../call/localMedia';
import { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { DocumentType, ResponseOf } from '@rvw/protocol';
import { askInDialog } from '../../ui/askInDialog';
import { DOC_LABELS, FINAL_STATES, MATERIAL_KINDS, MATERIAL_STATUS, newerView, STATE_LABELS, type CaseViewLike } from '../../ui/caseView';
import { requestJson } from '../../auth/requestJson';
import { requireSignedIn } from '../../auth/requireSignedIn';
import { signOut } from '../../auth/signOut';
import { showRecordingBadge } from '../../ui/recordingBadge';
import { showCallModeBadge } from '../../ui/callModeBadge';
import { strokeMarks } from '../../ui/docMarks';
import { IdentityCheck } from './IdentityCheck';
import { ApplicationFormPanel } from '../../ui/ApplicationFormPanel';
import { DocMarker } from './DocMarker';
import { attachTrack, mark, markFirstFrame, marks, byId, formatWait, h, messageFor, qualityLabel, showConnection, tabPeerId, toast, wsUrl } from '../../ui/dom';
import { showNodeMoved, takeResumedCase } from '../../ui/nodeMoved';
import { chinaClock, chinaToday } from '../../ui/chinaTime';
import { AvailabilityControl } from './AvailabilityControl';
import { DeviceSelfCheck } from './DeviceSelfCheck';
import { HandoverOffer } from './HandoverOffer';
import { MyCases } from './MyCases';
import { NewApplicantAlert } from './NewApplicantAlert';
import { TransferDialog } from './TransferDialog';

/** A queued case as the clerk's queue lists it. */
type QueueEntry = ResponseOf<'queue.subscribe'>['cases'][number];

/** What the clerk page holds (the console and the tests read it as `window.rvw.state`). */
interface ClerkState {
  queue: QueueEntry[];
  caseView: CaseViewLike | undefined;
  /** The desk: this page's media, connected at load and linked to each accepted case's call. */
  call: CallClient | undefined;
  /** The case whose call the desk is linked to. */
  inCall: string | undefined;
  /**
   * The case being accepted, until the accept's answer arrives: the server links the call (and
   * starts its recording) before it answers, so that case's notifications can come first.
   */
  accepting: string | undefined;
  local: { mic: MediaStreamTrack; face: MediaStreamTrack } | undefined;
  sharing: boolean;
  me: { name?: string; regionCode?: string } | undefined;
  /** The document types the current case's item issues (loaded once per case). */
  docTypes: { caseId: string; types: string[] } | undefined;
}

/**
 * The remote clerk's page (异地窗口): the queue, the desk (standby media linked to each accepted
 * case's call), the case being handled, documents, and back to the queue. Its state lives here,
 * in one object the entry creates.
 */
export class ClerkPage {
  readonly #s: ClerkState = { queue: [], caseView: undefined, call: undefined, inCall: undefined, accepting: undefined, local: undefined, sharing: false, me: undefined, docTypes: undefined };
  readonly #signal: SignalClient;
  readonly #devices = new DeviceCache();
  /** The desk, once open (camera, microphone, connected media); accepting waits for it. */
  #deskReady: Promise<CallClient> | undefined;
  /** 标注 on the applicant's 高拍仪 picture. */
  #marker: DocMarker | undefined;
  /** 示忙/示闲: while paused the queue is shown but nobody can be accepted. */
  readonly #availability: AvailabilityControl;
  /** Tells the clerk when an applicant starts waiting. */
  readonly #newApplicant: NewApplicantAlert;
  /** Queue reads numbered as sent: an answer older than the one shown is dropped (it would undo a newer queue). */
  #queueReads = { sent: 0, shown: 0 };
  /** The signed-in clerk (from /api/auth/me): whether a case is held by this clerk. */
  #staffId: string | undefined;
  /** The camera and microphone being opened, once: the desk and 设备自检 share them. */
  #localReady: Promise<{ mic: MediaStreamTrack; face: MediaStreamTrack }> | undefined;
  /** 我的办件 on the queue view. */
  readonly #myCases: MyCases;
  /** 转办: hands the case on screen to a colleague. */
  readonly #transfer: TransferDialog;
  /** 收到转办: offers a case a colleague handed to this clerk. */
  readonly #handover: HandoverOffer;
  /** 人证核验: the ID card's chip photo beside the live face, and the clerk's finding. */
  readonly #identity: IdentityCheck;
  readonly #form: ApplicationFormPanel;

  constructor() {
    this.#signal = new SignalClient({
      // A node that died without closing TCP (power, a cut line) is given up within ~25 s, not minutes.
      heartbeatMs: 10_000,
      url: wsUrl(),
      // If this node dies, the socket moves to another node of the region (the page stays).
      discoverNodes: true,
      onStateChange: showConnection,
      onOpen: async (reconnect) => {
        // On another node than the page's own (it died): said first, so nothing asks the dead one.
        if (reconnect) showNodeMoved(this.#signal.url, this.#s.inCall);
        // Whatever happened while the socket was away (a case closed, one handed over) is read again.
        void this.#myCases.refresh();
        await this.#loadQueue();
        if (!reconnect) return;
        if (this.#s.caseView) await this.#refreshCase(this.#s.caseView.id);
        // Re-linking the call (if any) follows from the desk's onJoined.
        await this.#s.call?.resume();
      },
    });
    this.#identity = new IdentityCheck({ signal: this.#signal, onCase: (view) => this.#onCase(view) });
    this.#form = new ApplicationFormPanel({ signal: this.#signal, side: 'clerk', card: byId('form-card'), body: byId('app-form'), onCase: (view) => this.#onCase(view) });
    this.#availability = new AvailabilityControl(this.#signal, (state) => {
      // 示忙 means "not now": an alert about who waits would ask for what the clerk just declined.
      if (state.paused) this.#newApplicant.dismiss();
      this.#renderQueue();
    });
    this.#newApplicant = new NewApplicantAlert((caseId) => {
      // From the banner straight to that applicant's 受理 (keyboard users land on it too).
      if (!byId('queue-view').classList.contains('hidden')) document.querySelector<HTMLButtonElement>(`#queue tr[data-case="${CSS.escape(caseId)}"] button.accept:not(:disabled)`)?.focus();
    });
    this.#myCases = new MyCases({
      inCall: () => this.#s.inCall,
      takeOver: (caseId) => void this.#takeOver(caseId),
      // A case this page handed on is listed as the clerk's again: a colleague handed it back.
      listed: (handling) => {
        for (const caseId of this.#handover.returned(handling)) this.#readPossibleHandover(caseId);
      },
    });
    this.#transfer = new TransferDialog(this.#signal);
    this.#handover = new HandoverOffer({ staffId: () => this.#staffId, inCall: () => this.#s.inCall !== undefined, takeOver: (caseId) => this.#takeOver(caseId) });
    // 设备自检 lives on its button; it borrows the desk's camera and microphone.
    new DeviceSelfCheck(() => this.#ensureLocal());
  }

  /** What the end-to-end tests and the console look at: `window.rvw`. */
  get debugHandle(): object {
    const s = this.#s;
    const availability = this.#availability;
    return { signal: this.#signal, state: s, marks, get call() { return s.call; }, get paused() { return availability.paused; } };
  }

  async start(): Promise<void> {
    const resumed = takeResumedCase();
    const me = await requireSignedIn('clerk');
    if (me.kind === 'staff') this.#staffId = me.staffId;
    byId('logout').addEventListener('click', (e) => {
      e.preventDefault();
      void signOut();
    });
    this.#marker = new DocMarker({
      video: byId<HTMLVideoElement>('remote-document'),
      canvas: byId<HTMLCanvasElement>('doc-marks'),
      toggle: byId<HTMLButtonElement>('btn-mark'),
      clear: byId<HTMLButtonElement>('btn-mark-clear'),
      send: async (strokes) => {
        const caseId = this.#s.inCall;
        if (caseId) await this.#signal.request('doc.marks', { caseId, marks: strokes }).catch((e: unknown) => toast(messageFor(e, '标注未能发送'), 'error'));
      },
    });
    for (const id of ['remote-face', 'remote-document']) {
      byId(id).parentElement!.addEventListener('click', () => {
        if (id === 'remote-document' && this.#marker?.active === true) return;
        const src = byId<HTMLVideoElement>(id).srcObject;
        if (!src) return;
        byId<HTMLVideoElement>('lightbox-video').srcObject = src;
        byId('lightbox').classList.add('open');
      });
    }
    byId('lightbox').addEventListener('click', () => byId('lightbox').classList.remove('open'));
    byId('btn-snapshot').addEventListener('click', () => void this.#captureMaterial());
    byId('btn-screen').addEventListener('click', async () => {
      if (!this.#s.call || !this.#s.inCall) return;
      try {
        if (this.#s.sharing) {
          await this.#s.call.stopScreen();
          this.#s.sharing = false;
        } else {
          await this.#s.call.shareScreen(await captureScreen());
          this.#s.sharing = true;
        }
        byId('btn-screen').textContent = this.#s.sharing ? '停止共享' : '共享屏幕';
      } catch (e) {
        toast((e as Error).message, 'error');
      }
    });
    byId('btn-hangup').addEventListener('click', async () => {
      if (!this.#s.caseView) return;
      await this.#signal.request('session.end', {}).catch((e: Error) => toast(e.message, 'error'));
      this.#endView();
    });
    byId('btn-save').addEventListener('click', async () => {
      if (!this.#s.caseView) return;
      try {
        this.#onCase(await this.#signal.request('case.update', { caseId: this.#s.caseView.id, expectedVersion: this.#s.caseView.version, fields: { note: byId<HTMLTextAreaElement>('field-note').value } }));
        byId('save-status').textContent = '已保存';
      } catch (e) {
        const err = e as Error & { code?: string };
        byId('save-status').textContent = err.code === 'CASE_VERSION_CONFLICT' ? '对方已修改，已刷新，请重新保存' : err.message;
        await this.#refreshCase(this.#s.caseView.id);
      }
    });
    byId('btn-issue').addEventListener('click', () => void this.#previewAndIssue());
    byId('btn-back-queue').addEventListener('click', () => {
      if (this.#s.inCall) this.#endCall();
      this.#showQueueView();
    });
    byId('btn-transfer').addEventListener('click', () => void this.#transferCase());
    byId('btn-queue-notice-close').addEventListener('click', () => this.#notice(undefined));
    byId('btn-complete').addEventListener('click', () => void this.#transition('completed'));
    byId('btn-pending').addEventListener('click', () => void this.#transition('pending_materials', { title: '要求补正', label: '需补正的材料及说明' }));
    byId('btn-suspend').addEventListener('click', () => void this.#transition('suspended', { title: '挂起办件', label: '挂起原因' }));
    byId('btn-reject').addEventListener('click', () => void this.#transition('rejected', { title: '不予受理', label: '不予受理的理由' }));
    byId('btn-chat').addEventListener('click', async () => {
      const input = byId<HTMLInputElement>('chat-text');
      if (!this.#s.caseView || !input.value.trim()) return;
      await this.#signal.request('chat.send', { caseId: this.#s.caseView.id, text: input.value.trim() }).catch((e: Error) => toast(e.message, 'error'));
      input.value = '';
    });
    this.#signal.onNotification((n) => {
      if (n.type === 'hello') {
        this.#s.me = n.principal;
        byId('me').textContent = `${n.principal.name ?? ''} · 异地窗口工作人员`;
      }
      if (n.type === 'queue.changed') void this.#loadQueue();
      if (n.type === 'session.ended' && n.sessionId === this.#s.inCall) void this.#onCallEnded();
      if (n.type === 'peer.left' && n.sessionId === this.#s.inCall) toast('申请人端已断开，等待重新连接…');
      if ((n.type === 'case.changed' || n.type === 'chat.message' || n.type === 'document.issued') && (this.#s.caseView?.id === n.caseId || this.#s.accepting === n.caseId)) {
        // A read that fails (the socket dropped) is retried by the next notification or the reconnect.
        void this.#refreshCase(n.caseId).catch(() => undefined);
      } else if (n.type === 'case.changed') this.#onOtherCaseChanged(n.caseId, n.state);
      if (n.type === 'case.changed') this.#myCases.noteChange(n.caseId, n.state);
      if (n.type === 'auth.revoked') {
        // 退出 (here or in another tab of the same sign-in) ends this socket too: no error to show,
        // just go to the login page like the tab that signed out.
        if (n.reason !== 'session.logout') toast('您的登录已失效，请重新登录', 'error');
        setTimeout(() => (location.href = '/login.html'), 1500);
      }
    });
    // Waiting times tick without a server round trip.
    setInterval(() => {
      for (const td of document.querySelectorAll<HTMLElement>('td[data-since]')) td.textContent = formatWait((Date.now() - Date.parse(td.dataset.since!)) / 1000);
    }, 1000);
    await this.#signal.connect();
    // Device.load is the slowest step of joining; do it while nobody waits.
    void this.#devices.preload(this.#signal).catch(() => undefined);
    // Camera preview and the desk before the first call, so accepting does not wait for them.
    await this.#ensureDesk().catch((e: unknown) => toast(e instanceof MediaAccessError ? e.message : String(e), 'error'));
    // Reopened on another node after this page's own died (ui/nodeMoved.ts): take the call back.
    if (resumed) await this.#takeBack(resumed);
  }

  /** Shows `caseId` and links the desk to its call again, if it is still in session. */
  async #takeBack(caseId: string): Promise<void> {
    try {
      const view = await this.#signal.request('case.get', { caseId });
      if (view.state !== 'in_session') return this.#onCase(view);
      this.#s.inCall = view.id;
      this.#onCase(view);
      this.#showCallView();
      this.#s.call?.resumeSending();
      await this.#signal.request('session.link', { sessionId: view.id });
    } catch (e) {
      toast(messageFor(e, '未能恢复原办件，请从队列重新打开'), 'error');
    }
  }

  /**
   * Reads the queue and the clerk's 示忙 state together (a toggle in another tab publishes a queue
   * change), then renders them and tells the new-applicant alert what is new.
   */
  async #loadQueue(): Promise<void> {
    const n = ++this.#queueReads.sent;
    const [data] = await Promise.all([this.#signal.request('queue.subscribe', {}), this.#availability.read()]);
    if (n < this.#queueReads.shown) return;
    this.#queueReads.shown = n;
    this.#s.queue = data.cases;
    this.#renderQueue();
    this.#newApplicant.update(this.#s.queue, this.#availability.paused || this.#s.inCall !== undefined || this.#s.accepting !== undefined);
    // While applicants wait, the desk's held-back camera sends black frames (its encoder running,
    // so the applicant sees the clerk sooner after 受理); an empty queue sends nothing.
    this.#s.call?.setHold(this.#s.queue.length ? 'warm' : 'silent');
  }

  #renderQueue(): void {
    // Shown on every view: a clerk looking at a closed case still notices who is waiting.
    const count = byId('queue-count');
    count.textContent = `排队 ${this.#s.queue.length} 人`;
    count.className = `badge${this.#s.queue.length ? ' q-fair waiting' : ''}`;
    const body = byId('queue');
    // 示忙: the list stays (the clerk sees who waits), 受理 does not work until 示闲.
    const paused = this.#availability.paused;
    byId('queue-paused-hint').classList.toggle('hidden', !paused);
    if (!this.#s.queue.length) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 5, className: 'muted' }, '暂无排队')));
      return;
    }
    body.replaceChildren(
      ...this.#s.queue.map((q) =>
        h(
          'tr',
          { 'data-case': q.caseId },
          h('td', {}, q.itemName),
          h('td', {}, q.applicantRegionName ?? q.applicantRegion),
          h('td', {}, q.applicantName),
          h('td', { 'data-since': q.enqueuedAt }, formatWait((Date.now() - Date.parse(q.enqueuedAt)) / 1000)),
          h(
            'td',
            {},
            h(
              'button',
              {
                className: 'accept',
                disabled: paused,
                ...(paused ? { title: '示忙中，点击“示闲”后可受理', 'aria-describedby': 'queue-paused-hint' } : {}),
                onclick: () => void this.#accept(q.caseId),
              },
              '受理',
            ),
          ),
        ),
      ),
    );
  }

  #accept(caseId: string): Promise<void> {
    return this.#openCall(caseId, async () => {
      mark('accept:sent');
      const view = await this.#signal.request('queue.accept', { caseId });
      mark('accept:answered');
      return view;
    });
  }

  /**
   * 接手办理 of a case this clerk holds but whose call the desk is not in (handed over by a
   * colleague, or left for later): the accept's path, with an explicit link instead of the one
   * queue.accept makes by itself. A case not in session (待补正, 挂起) just opens.
   */
  #takeOver(caseId: string): Promise<void> {
    return this.#openCall(caseId, async () => {
      const view = await this.#signal.request('case.get', { caseId });
      if (view.clerkId !== this.#staffId) throw new Error('该办件已由其他工作人员办理');
      if (view.state === 'in_session') await this.#signal.request('session.link', { sessionId: caseId });
      return view;
    });
  }

  /**
   * Opens the call of a case: the desk starts sending, `open` makes the server link the desk to
   * the call and answers the case (queue.accept, or session.link for a take-over), and the call
   * view shows it. On a refusal the desk is held back again and the queue re-read.
   */
  async #openCall(caseId: string, open: () => Promise<CaseViewLike>): Promise<void> {
    let desk: CallClient;
    try {
      desk = await this.#ensureDesk();
    } catch (e) {
      return toast(e instanceof MediaAccessError ? e.message : String(e), 'error');
    }
    // Nothing reaches the desk's producers until the server links them to the call, so the camera
    // may start now and be warm when the applicant's side asks for the first picture.
    desk.resumeSending();
    this.#s.accepting = caseId;
    try {
      const view = await open();
      if (view.state === 'in_session') this.#s.inCall = view.id;
      else desk.pauseSending();
      this.#newApplicant.dismiss();
      this.#notice(undefined);
      // A view read since (录制中 started meanwhile) is newer than this answer and stays.
      this.#onCase(view);
      this.#showCallView();
      this.#myCases.render();
    } catch (e) {
      desk.pauseSending();
      // Not ours after all (another clerk took it): a view read meanwhile is not this screen's case.
      if (this.#s.caseView?.id === caseId && this.#s.inCall !== caseId) this.#s.caseView = undefined;
      toast(messageFor(e, '未能打开办件，请稍后重试'), 'error');
      await this.#loadQueue();
    } finally {
      this.#s.accepting = undefined;
    }
  }

  /**
   * A change of a case this page does not show: a case a colleague handed to this clerk (转办) is
   * offered (收到转办). One the clerk's other tab just accepted was in this page's queue until now.
   */
  #onOtherCaseChanged(caseId: string, state: string): void {
    if (this.#s.queue.some((q) => q.caseId === caseId) || this.#myCases.handles(caseId)) return this.#handover.know(caseId);
    if (this.#handover.mayBeHandover(caseId, state)) this.#readPossibleHandover(caseId);
  }

  #readPossibleHandover(caseId: string): void {
    this.#signal.request('case.get', { caseId }).then(
      (view) => this.#handover.consider(view),
      // Not readable (not this clerk's after all) or the socket dropped: 我的办件 still lists it.
      () => undefined,
    );
  }

  /** 转办 of the case on screen; once it went, this page leaves the call and says to whom. */
  async #transferCase(): Promise<void> {
    const view = this.#s.caseView;
    if (!view) return;
    try {
      const done = await this.#transfer.ask(view);
      if (done) this.#handedOver(done.view, done.to.name);
    } catch (e) {
      toast(messageFor(e, '未能转办，请稍后重试'), 'error');
    }
  }

  /** The case on screen is no longer this clerk's (转办 from here or from another tab): back to the queue. */
  #handedOver(view: CaseViewLike, toName: string | undefined): void {
    this.#endView();
    this.#handover.handedOn(view.id);
    this.#notice(`办件 ${view.number ?? view.id} 已转交 ${toName ?? '其他工作人员'}`);
    void this.#myCases.refresh();
  }

  /** The notice line of the queue view (`undefined` hides it). */
  #notice(text: string | undefined): void {
    byId('queue-notice-text').textContent = text ?? '';
    byId('queue-notice').classList.toggle('hidden', !text);
  }

  #showCallView(): void {
    byId('queue-view').classList.add('hidden');
    byId('call-view').classList.remove('hidden');
    attachTrack(byId<HTMLVideoElement>('local-face'), this.#s.local!.face);
  }

  /**
   * Joins the desk: transports connected, microphone and camera produced but held back (nothing is
   * encoded or sent until a call starts; the preview keeps running). Each accepted case is linked
   * to it.
   */
  async #openDesk(local: { mic: MediaStreamTrack; face: MediaStreamTrack }): Promise<void> {
    const desk = new CallClient({ signal: this.#signal, devices: this.#devices, target: { desk: true }, peerId: tabPeerId() });
    desk.on('remoteTrack', (t) => {
      if (t.kind === 'audio') return attachTrack(byId<HTMLAudioElement>('remote-audio'), t.track);
      const video = byId<HTMLVideoElement>(t.source === 'document' ? 'remote-document' : 'remote-face');
      attachTrack(video, t.track);
      markFirstFrame(video, `frame:${t.source}`);
    });
    desk.on('status', (status) => mark(`status:${status}`));
    desk.on('modeProposal', (proposed, measured) => {
      const caseId = this.#s.inCall;
      if (caseId) void this.#signal.request('call.mode', { caseId, proposed, measured }).catch(() => undefined);
    });
    desk.on('quality', (q) => {
      const { text, cls } = qualityLabel(q.level);
      const el = byId('quality');
      el.textContent = text;
      el.className = `badge ${cls}`;
    });
    // After a reconnect or a rebuilt desk the server may have forgotten the link: make it again.
    desk.on('joined', () => {
      const caseId = this.#s.inCall;
      if (caseId) void this.#signal.request('session.link', { sessionId: caseId }).catch((e: Error & { code?: string }) => {
        if (e.code === 'SESSION_NOT_ACTIVE' || e.code === 'FORBIDDEN') void this.#onCallEnded();
      });
    });
    this.#s.call = desk;
    try {
      await desk.start(
        [
          { source: 'mic', track: local.mic },
          { source: 'face', track: local.face },
        ],
        { paused: true },
      );
    } catch (e) {
      this.#s.call = undefined;
      await desk.leave();
      throw e;
    }
  }

  #ensureDesk(): Promise<CallClient> {
    this.#deskReady ??= (async () => {
      const local = await this.#ensureLocal();
      attachTrack(byId<HTMLVideoElement>('local-face'), local.face);
      await this.#openDesk(local);
      return this.#s.call!;
    })();
    this.#deskReady.catch(() => (this.#deskReady = undefined));
    return this.#deskReady;
  }

  /** The page's camera and microphone, opened once (a second capture of a camera may fail or differ). */
  #ensureLocal(): Promise<{ mic: MediaStreamTrack; face: MediaStreamTrack }> {
    if (this.#s.local) return Promise.resolve(this.#s.local);
    this.#localReady ??= captureLocal(false).then((local) => (this.#s.local = local));
    this.#localReady.catch(() => (this.#localReady = undefined));
    return this.#localReady;
  }

  /**
   * The call's mode (#17's ladder): the desk sends what the record says the call runs at, the
   * header says it, and while in the call the desk measures the clerk's own path and proposes a
   * step when it calls for one.
   */
  #followCallMode(view: CaseViewLike, inCall: boolean): void {
    const mode = showCallModeBadge(view, inCall);
    const desk = this.#s.call;
    if (!desk || !inCall) return;
    desk.followCallMode(view.id, mode, view.media?.clerk ?? 'full');
  }

  /** The call is over; a closed case stays on screen (final state, print state, reprint) until the clerk leaves it. */
  async #onCallEnded(): Promise<void> {
    const caseId = this.#s.inCall;
    this.#endCall();
    if (caseId) await this.#refreshCase(caseId).catch(() => undefined);
    if (!this.#s.caseView || !FINAL_STATES.includes(this.#s.caseView.state)) this.#showQueueView();
  }

  #endView(): void {
    this.#endCall();
    this.#showQueueView();
  }

  /** Releases the call's media: the desk stops sending and is rebuilt for the next applicant. */
  #endCall(): void {
    const wasInCall = this.#s.inCall !== undefined;
    this.#s.inCall = undefined;
    showRecordingBadge(undefined, false);
    showCallModeBadge(undefined, false);
    this.#marker?.reset();
    this.#s.call?.stopLadder();
    // The desk starts the next call whole, whatever this one ended at.
    this.#s.call?.applyMode('full');
    this.#s.call?.pauseSending();
    if (this.#s.sharing) void this.#s.call?.stopScreen();
    // Fresh desk media for the next call, built while nobody waits.
    if (wasInCall) void this.#s.call?.renew().catch(() => undefined);
    this.#s.sharing = false;
    byId('btn-screen').textContent = '共享屏幕';
  }

  #showQueueView(): void {
    // Forget the case: its later changes no longer concern this screen.
    this.#s.caseView = undefined;
    this.#identity.render(undefined, true);
    this.#form.render(undefined);
    byId('call-view').classList.add('hidden');
    byId('queue-view').classList.remove('hidden');
    this.#myCases.render();
    void this.#loadQueue();
  }

  async #refreshCase(caseId: string): Promise<void> {
    this.#onCase(await this.#signal.request('case.get', { caseId }));
  }

  #onCase(incoming: CaseViewLike): void {
    const view = newerView(this.#s.caseView, incoming);
    // Handed to a colleague from another tab of this clerk: this desk has already left the call.
    if (this.#s.inCall === view.id && view.clerkId !== undefined && this.#staffId !== undefined && view.clerkId !== this.#staffId) return this.#handedOver(view, undefined);
    this.#s.caseView = view;
    // Shown here as this clerk's own: its later changes are no handover.
    this.#handover.know(view.id);
    const closed = FINAL_STATES.includes(view.state);
    showRecordingBadge(view, this.#s.inCall === view.id && !closed);
    this.#followCallMode(view, this.#s.inCall === view.id && !closed);
    this.#identity.render(view, closed);
    this.#form.render(view);
    byId('case-summary').replaceChildren(
      h('div', {}, h('b', {}, view.itemName), ' ', h('span', { className: 'badge', id: 'case-state' }, STATE_LABELS[view.state] ?? view.state)),
      h('div', {}, `申请人：${view.applicant.name}　身份证：${view.applicant.idNumber}`),
      // 帮办代办: who is actually at the counter, and who helps there.
      // Each part kept whole on its line: an 18-digit number broken across lines is misread.
      ...(view.agent
        ? [
            h(
              'div',
              { id: 'case-agent', className: 'agent-line' },
              h('span', { className: 'nowrap' }, `代办人：${view.agent.name}（${view.agent.relationship}）`),
              '　',
              h('span', { className: 'nowrap' }, `身份证：${view.agent.idNumber}`),
              ...(view.agent.phone ? ['　', h('span', { className: 'nowrap' }, `电话：${view.agent.phone}`)] : []),
            ),
          ]
        : []),
      ...(view.helper ? [h('div', { id: 'case-helper' }, `申请地帮办员：${view.helper.name}`)] : []),
      h('div', { className: 'muted' }, '办件编号：', h('span', { id: 'case-number' }, view.number ?? view.id)),
    );
    const note = byId<HTMLTextAreaElement>('field-note');
    if (document.activeElement !== note) note.value = view.fields.note ?? '';
    byId('checklist').replaceChildren(
      ...view.checklist.map((c) =>
        h(
          'tr',
          { 'data-material': c.materialId },
          h('td', {}, c.name, c.mandatory ? '' : '（选）'),
          h('td', { className: 'material-status' }, MATERIAL_STATUS[c.status] ?? c.status, c.waiver ? `（${c.waiver.deadline} 前补交）` : ''),
          h(
            'td',
            {},
            closed ? null : h('button', { className: 'secondary capture', onclick: () => void this.#captureMaterial(c.materialId) }, '拍照'),
            c.blobSha256 ? h('button', { className: 'secondary view-material', onclick: () => openMaterial(view, c.blobSha256!, c.name) }, '查看') : null,
            !closed && c.mandatory && c.status === 'missing' ? h('button', { className: 'secondary waive', onclick: () => void this.#waive(c.materialId, c.name) }, '容缺') : null,
          ),
        ),
      ),
    );
    renderMaterials(view);
    renderDocuments(view);
    void this.#loadDocTypes(view.id);
    this.#applyClosed(view, closed);
    const chat = byId('chat');
    chat.replaceChildren(...view.chat.map((l) => h('div', { className: 'line' }, h('span', { className: 'who' }, `${l.role === 'clerk' ? '我' : '申请地窗口'} ${chinaClock(l.at)}`), l.text)));
    chat.scrollTop = chat.scrollHeight;
  }

  /** Offers only the document types the case's item issues. */
  async #loadDocTypes(caseId: string): Promise<void> {
    if (this.#s.docTypes?.caseId === caseId) return;
    this.#s.docTypes = { caseId, types: [] };
    try {
      const { types } = await requestJson<{ types: string[] }>('GET', `/api/cases/${encodeURIComponent(caseId)}/document-types`);
      this.#s.docTypes = { caseId, types };
    } catch (e) {
      this.#s.docTypes = undefined;
      toast(`无法读取本事项可出具的文书：${(e as Error).message}`, 'error');
      return;
    }
    const select = byId<HTMLSelectElement>('doc-type');
    select.replaceChildren(...this.#s.docTypes.types.map((t) => h('option', { value: t }, DOC_LABELS[t] ?? t)));
    if (!this.#s.docTypes.types.length) select.replaceChildren(h('option', { value: '' }, '本事项不出具文书'));
    if (this.#s.caseView) this.#applyClosed(this.#s.caseView, FINAL_STATES.includes(this.#s.caseView.state));
  }

  /** After 办结 (or any final state) nothing on the case can be changed from this page any more. */
  #applyClosed(view: CaseViewLike, closed: boolean): void {
    const noTypes = !this.#s.docTypes?.types.length;
    for (const id of ['btn-snapshot', 'btn-screen', 'btn-hangup', 'btn-save', 'btn-transfer', 'btn-complete', 'btn-pending', 'btn-suspend', 'btn-reject', 'btn-chat', 'chat-text', 'field-note', 'doc-type']) {
      (byId(id) as HTMLButtonElement | HTMLInputElement).disabled = closed;
    }
    byId<HTMLButtonElement>('btn-issue').disabled = closed || noTypes;
    byId('case-closed').textContent = closed ? `本办件${STATE_LABELS[view.state] ?? ''}，办理操作已停用。` : '';
    byId('case-closed-bar').classList.toggle('hidden', !closed);
    // A recorded call can be watched back once the case is closed (read-only, in a tab of its own).
    const recording = byId<HTMLAnchorElement>('recording-link');
    recording.href = `/recording.html?case=${encodeURIComponent(view.id)}`;
    recording.classList.toggle('hidden', !closed || !view.recording);
  }

  /** Shows the document as it would be issued (marked 预览, unsigned); 确认签章出具 issues it. */
  async #previewAndIssue(): Promise<void> {
    const view = this.#s.caseView;
    if (!view) return;
    const docType = byId<HTMLSelectElement>('doc-type').value as DocumentType;
    if (!docType) return;
    const url = `/api/cases/${encodeURIComponent(view.id)}/documents/preview/${docType}`;
    // Ask once first, so a refusal (e.g. no 容缺 material for the notice) reads as a message, not a broken frame.
    const check = await fetch(url, { credentials: 'same-origin' }).catch(() => undefined);
    if (!check?.ok) {
      const body = (await check?.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      return toast(body?.error?.message ?? '文书预览失败，请稍后重试', 'error');
    }
    await check.arrayBuffer();
    byId('preview-title').textContent = `文书预览：${DOC_LABELS[docType] ?? docType}`;
    byId<HTMLIFrameElement>('preview-frame').src = url;
    const confirmed = await askInDialog(byId<HTMLDialogElement>('preview-dialog'));
    byId<HTMLIFrameElement>('preview-frame').src = 'about:blank';
    if (!confirmed) return;
    try {
      const doc = await this.#signal.request('document.issue', { caseId: view.id, docType });
      toast(`已签章出具${DOC_LABELS[docType]}：${doc.number}`);
      await this.#refreshCase(view.id);
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  }

  async #captureMaterial(materialId?: string): Promise<void> {
    if (!this.#s.caseView) return;
    const video = byId<HTMLVideoElement>('remote-document');
    if (!video.videoWidth) return toast('高拍仪画面尚未就绪', 'error');
    const drawn = this.#marker?.marks ?? [];
    const blob = await snapshot(video, 0.9, drawn.length ? (ctx, width, height) => strokeMarks(ctx, drawn, { x: 0, y: 0, w: width, h: height }, Math.max(4, width / 200)) : undefined);
    const dataBase64 = await blobToBase64(blob);
    try {
      const view = await this.#signal.request('material.capture', {
        caseId: this.#s.caseView.id,
        mime: 'image/jpeg',
        dataBase64,
        ...(materialId ? { materialId } : {}),
      });
      this.#onCase(view);
      toast('材料已留存');
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  }

  async #waive(materialId: string, name: string): Promise<void> {
    if (!this.#s.caseView) return;
    byId('waive-material').textContent = name;
    const noteInput = byId<HTMLTextAreaElement>('waive-note');
    const dateInput = byId<HTMLInputElement>('waive-deadline');
    const today = chinaToday();
    noteInput.value = '申请人承诺限期补交';
    dateInput.min = today;
    dateInput.value = new Date(Date.parse(today) + 7 * 864e5).toISOString().slice(0, 10);
    const ok = await askInDialog(byId<HTMLDialogElement>('waive-dialog'), {
      validate: () => {
        if (!noteInput.value.trim()) return '请填写容缺受理说明';
        if (!dateInput.value) return '请选择补交期限';
        if (dateInput.value < today) return '补交期限不能早于今天，请重新选择';
        return undefined;
      },
    });
    if (!ok) return;
    const note = noteInput.value.trim();
    const deadline = dateInput.value;
    try {
      this.#onCase(await this.#signal.request('material.waive', { caseId: this.#s.caseView.id, materialId, note, deadline }));
    } catch (e) {
      toast((e as Error).message, 'error');
    }
  }

  async #transition(to: 'completed' | 'rejected' | 'suspended' | 'pending_materials', ask?: { title: string; label: string }): Promise<void> {
    if (!this.#s.caseView) return;
    let reason: string | undefined;
    if (ask) {
      byId('reason-title').textContent = ask.title;
      byId('reason-label').textContent = ask.label;
      const text = byId<HTMLTextAreaElement>('reason-text');
      text.value = '';
      const ok = await askInDialog(byId<HTMLDialogElement>('reason-dialog'), { validate: () => (text.value.trim() ? undefined : `请填写${ask.label}`) });
      if (!ok) return;
      reason = text.value.trim();
    }
    try {
      const view = await this.#signal.request('case.transition', {
        caseId: this.#s.caseView.id,
        expectedVersion: this.#s.caseView.version,
        to,
        ...(reason ? { reason } : {}),
      });
      this.#onCase(view);
      toast(`办件状态：${STATE_LABELS[view.state] ?? view.state}`);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'CASE_VERSION_CONFLICT') {
        toast('办件已被对方更新，已刷新，请确认后重试', 'error');
        await this.#refreshCase(this.#s.caseView.id);
      } else toast(err.message, 'error');
    }
  }
}

/** Issued documents with their print state; a reprint at the counter needs this clerk's approval. */
function renderDocuments(view: CaseViewLike): void {
  const rows = view.documents.map((d) => {
    const printed = (d.printLog ?? []).filter((e) => e.event === 'printed').length;
    const failed = (d.printLog ?? []).some((e) => e.event === 'print_reported' && e.outcome === 'failure');
    const status = printed === 0 ? '未打印' : `已打印 ${printed} 次${failed ? '（有打印失败）' : ''}`;
    return h(
      'tr',
      { 'data-document': d.number },
      h('td', {}, DOC_LABELS[d.type] ?? d.type, h('div', { className: 'muted' }, d.number)),
      h('td', {}, status),
      h('td', {}, printed > 0 ? h('button', { className: 'secondary approve-reprint', onclick: () => void approveReprint(d.number) }, '批准重新打印') : null),
    );
  });
  byId('documents').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { className: 'muted' }, '暂无'))]));
}

/**
 * Everything captured on the case (高拍仪 snapshots, the applicant's signature) as thumbnails;
 * a click opens the full picture. Served by the case's own authorized route, same-origin.
 */
function renderMaterials(view: CaseViewLike): void {
  const names = new Map(view.checklist.map((c) => [c.materialId, c.name]));
  const images = view.materials.filter((m) => m.mime.startsWith('image/'));
  if (!images.length) {
    byId('materials').replaceChildren(h('p', { className: 'muted' }, '暂无。对准高拍仪画面后点击“拍照留存材料”或清单中的“拍照”。'));
    return;
  }
  byId('materials').replaceChildren(
    ...images.map((m) => {
      const label = (m.materialId && names.get(m.materialId)) || MATERIAL_KINDS[m.kind] || '材料';
      return h(
        'button',
        { type: 'button', className: 'thumb', 'data-sha256': m.sha256, title: `查看 ${label}`, onclick: () => openMaterial(view, m.sha256, label) },
        h('img', { src: materialUrl(view.id, m.sha256), alt: label, loading: 'lazy' }),
        h('span', {}, label),
        h('span', { className: 'hint' }, chinaClock(m.capturedAt)),
      );
    }),
  );
}

function materialUrl(caseId: string, sha256: string): string {
  return `/api/cases/${encodeURIComponent(caseId)}/materials/${sha256}`;
}

function openMaterial(view: CaseViewLike, sha256: string, label: string): void {
  byId('material-title').textContent = label;
  const img = byId<HTMLImageElement>('material-full');
  img.src = materialUrl(view.id, sha256);
  img.alt = label;
  void askInDialog(byId<HTMLDialogElement>('material-dialog'));
}

async function approveReprint(number: string): Promise<void> {
  const dialog = byId<HTMLDialogElement>('reason-dialog');
  byId('reason-title').textContent = '批准重新打印';
  byId('reason-label').textContent = '重新打印的原因';
  const text = byId<HTMLTextAreaElement>('reason-text');
  text.value = '打印机卡纸';
  const ok = await askInDialog(dialog, { validate: () => (text.value.trim() ? undefined : '请填写重新打印的原因') });
  if (!ok) return;
  const reason = text.value.trim();
  try {
    await requestJson('POST', `/api/documents/${encodeURIComponent(number)}/reprint-approval`, { reason });
    toast('已批准申请地窗口重新打印一次');
  } catch (e) {
    toast((e as Error).message, 'error');
  }
}

function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1] ?? '');
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}
