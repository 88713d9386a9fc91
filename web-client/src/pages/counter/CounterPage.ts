import { CallClient, type RemoteTrack } from '../../call/CallClient';
import { DeviceCache } from '../../call/DeviceCache';
import { captureLocal, MediaAccessError } from '../../call/localMedia';
import { SignalClient } from '@rvw/protocol/client/SignalClient';
import { DOC_LABELS, MATERIAL_STATUS, newerView, STATE_LABELS, type CaseViewLike } from '../../ui/caseView';
import { attachTrack, byId, clearToasts, formatWait, h, mark, markFirstFrame, marks, messageFor, qualityLabel, showConnection, tabPeerId, toast, wsUrl } from '../../ui/dom';
import { SignaturePad } from '../../ui/SignaturePad';
import { activateCounterFromHash } from '../../auth/activateCounterFromHash';
import { requestJson } from '../../auth/requestJson';
import { DocumentPrinter, printState } from './DocumentPrinter';
import { RatingStars } from './RatingStars';
import { VoicePrompts, type VoicePrompt } from './VoicePrompts';
import { showNodeMoved, takeResumedCase } from '../../ui/nodeMoved';
import { showRecordingBadge } from '../../ui/recordingBadge';
import { PictureAnnouncer } from './PictureAnnouncer';
import { IdCardPanel } from './IdCardPanel';
import { AgentFields, type AgentEntry } from './AgentFields';
import { ApplicationFormPanel } from '../../ui/ApplicationFormPanel';
import { LocalReaderService, type IdCardReading } from './IdCardReader';
import { showCallModeBadge } from '../../ui/callModeBadge';
import { drawMarksOver } from '../../ui/docMarks';
import type { DocMarkWire } from '@rvw/protocol/messages';
import { recordingRefusedMessage, type RecordingNotice } from '@rvw/protocol/recordingNotice';

/** A partnership offer as the counter sees it: the remote region and its items for us. */
interface Offer {
  partnershipId: string;
  servingRegion: { code: string; name: string };
  /** The partnership's hours as the server reads them, and whether it is open by the server's clock. */
  serviceHours: { text: string; openNow: boolean };
  /** The calls are recorded: the notice the applicant reads and agrees to first (null: not recorded). */
  recordingNotice: RecordingNotice | null;
  items: { code: string; name: string; promisedDays: number; statutoryDays: number; materials: { id: string; name: string; mandatory: boolean }[] }[];
}

/** The counter's local capture: microphone, face camera, 高拍仪. */
type LocalCapture = { mic: MediaStreamTrack; face: MediaStreamTrack; document?: MediaStreamTrack };

/**
 * One applicant's visit: their case and what was decided about its call. A new applicant gets a
 * new Visit, so nothing of the last one (case, ID number, chat) can be read by the next.
 */
class Visit {
  caseView: CaseViewLike | undefined;
  /** What was typed, held while the applicant reads the recording notice (never sent before they agree). */
  pending: { offer: Offer; itemCode: string; applicant: { name: string; idNumber: string; phone?: string }; acting: AgentEntry; card: IdCardReading | undefined } | undefined;
  /** The case whose call ended (hung up, closed): it is not called back into. */
  endedCallOf: string | undefined;
}

const STEPS = ['choose', 'consent', 'declined', 'wait', 'call', 'finish'] as const;
type Step = (typeof STEPS)[number];
const CLOSED = ['completed', 'rejected', 'abandoned'];
const CALL_FAILED = '视频连线未能建立，请检查网络；如仍不行，请联系大厅技术人员';
const LARGE_TYPE_KEY = 'rvw.counter.largeType';

/**
 * The counter terminal's page (申请地窗口): choose an item, queue, the call with the remote clerk,
 * signature, documents to print, rating; then the next applicant. Its state lives here, in one
 * object the entry creates, and per applicant in a {@link Visit}.
 */
export class CounterPage {
  readonly #signal: SignalClient;
  readonly #devices = new DeviceCache();
  readonly #printer = new DocumentPrinter();
  readonly #stars = new RatingStars();
  #offers: Offer[] = [];
  #visit = new Visit();
  #call: CallClient | undefined;
  #local: LocalCapture | undefined;
  /** The call has reported a measured network quality (then the badge shows it, not the socket's). */
  #callMeasured = false;
  /** True while the call is connected for a queued case (tracks held back until a clerk accepts). */
  #heldBack = false;
  /** The mode this page last applied (a step to or from the voice is said aloud). */
  /** Says aloud when the call falls to the voice and when its pictures are back (for good). */
  readonly #pictures = new PictureAnnouncer({ say: (p) => this.#voice?.say(p) });
  /** 读取身份证 (人证核验): the reading stays with the form until the case has it. */
  readonly #card = new IdCardPanel();
  /** 帮办代办: who acts for the applicant, who helps on site. */
  readonly #agent = new AgentFields();
  /** 同屏帮办: the item's application form, filled with the clerk. */
  readonly #form: ApplicationFormPanel;
  /** The clerk's marks on the 高拍仪 preview (redrawn when the tile changes size). */
  #marks: readonly DocMarkWire[] = [];
  #startingCall = false;
  #waitRefresh = 0;
  #voice: VoicePrompts | undefined;
  /** The step on screen (a step's prompt is said when the step comes, not on every refresh). */
  #step: Step | undefined;

  constructor() {
    // 适老化 before the first paint we control.
    applyLargeType(localStorage.getItem(LARGE_TYPE_KEY) === '1');
    // The marks follow the preview when the tile grows (marked, 大字模式) or the picture changes size.
    const documentPreview = byId<HTMLVideoElement>('local-document');
    const redrawMarks = () => drawMarksOver(byId<HTMLCanvasElement>('doc-marks-local'), documentPreview, this.#marks);
    new ResizeObserver(redrawMarks).observe(documentPreview);
    documentPreview.addEventListener('resize', redrawMarks);
    this.#signal = new SignalClient({
      // A node that died without closing TCP (power, a cut line) is given up within ~25 s, not minutes.
      heartbeatMs: 10_000,
      url: wsUrl(),
      // If this node dies, the socket moves to another node of the region (the page stays).
      discoverNodes: true,
      onStateChange: (s) => {
        showConnection(s);
        this.#showSocketQuality(s);
      },
      onOpen: async (reconnect) => {
        if (!reconnect) return;
        showNodeMoved(this.#signal.url, this.#visit.caseView?.id);
        if (this.#visit.caseView) await this.#refreshCase(this.#visit.caseView.id);
        await this.#call?.resume();
      },
    });
    this.#form = new ApplicationFormPanel({ signal: this.#signal, side: 'counter', card: byId('form-card'), body: byId('app-form'), onCase: (view) => this.#onCase(view) });
  }

  /** What the end-to-end tests and hall technicians (from the console) look at: `window.rvw`. */
  get debugHandle(): object {
    return liveView({
      signal: () => this.#signal,
      marks: () => marks,
      call: () => this.#call,
      state: () =>
        liveView({
          offers: () => this.#offers,
          caseView: () => this.#visit.caseView,
          endedCallOf: () => this.#visit.endedCallOf,
          call: () => this.#call,
          local: () => this.#local,
          ratings: () => this.#stars.scores,
          callMeasured: () => this.#callMeasured,
        }),
    });
  }

  async start(): Promise<void> {
    const resumed = takeResumedCase();
    // A terminal opened through its one-time activation link gets its device cookie first.
    try {
      const activated = await activateCounterFromHash();
      if (activated) toast('本终端已激活');
    } catch (e) {
      toast(`终端激活失败：${messageFor(e, '激活链接无效或已使用，请联系管理员重新生成')}`, 'error');
    }
    this.#stars.reset();
    byId('btn-large-type').addEventListener('click', () => {
      const on = !document.documentElement.classList.contains('large-type');
      localStorage.setItem(LARGE_TYPE_KEY, on ? '1' : '0');
      applyLargeType(on);
    });
    applyLargeType(localStorage.getItem(LARGE_TYPE_KEY) === '1');
    this.#voice = new VoicePrompts({ button: byId<HTMLButtonElement>('btn-voice'), storage: localStorage, synth: 'speechSynthesis' in window ? window.speechSynthesis : undefined });
    const pad = new SignaturePad(byId<HTMLCanvasElement>('signature'));
    byId('partner').addEventListener('change', () => this.#renderItems());
    byId('item').addEventListener('change', () => this.#renderItemInfo());
    byId('btn-queue').addEventListener('click', () => void this.#joinQueue());
    byId('btn-consent-agree').addEventListener('click', () => {
      const pending = this.#visit.pending;
      if (pending?.offer.recordingNotice) void this.#enterQueue({ noticeVersion: pending.offer.recordingNotice.version });
    });
    byId('btn-consent-refuse').addEventListener('click', () => {
      // Refused: nothing was sent and nothing of the applicant stays on the terminal.
      const region = this.#visit.pending?.offer.servingRegion.name ?? '办理地';
      this.#visit = new Visit();
      this.#clearApplicantForm();
      this.#form.render(undefined);
      byId('declined-text').textContent = recordingRefusedMessage(region);
      this.#show('declined');
    });
    byId('btn-declined-back').addEventListener('click', () => this.#show('choose'));
    byId('btn-leave').addEventListener('click', async () => {
      const caseView = this.#visit.caseView;
      if (!caseView) return;
      await this.#signal.request('queue.leave', { caseId: caseView.id }).catch((e: unknown) => toast(messageFor(e, '未能离开队列，请重试'), 'error'));
      // Nothing of the applicant keeps running once they leave.
      await this.#endMedia();
      this.#visit = new Visit();
      this.#show('choose');
    });
    byId('btn-chat').addEventListener('click', async () => {
      const input = byId<HTMLInputElement>('chat-text');
      const caseView = this.#visit.caseView;
      if (!caseView || !input.value.trim()) return;
      await this.#signal.request('chat.send', { caseId: caseView.id, text: input.value.trim() }).catch((e: unknown) => toast(messageFor(e, '消息未能发送，请重试'), 'error'));
      input.value = '';
    });
    byId('btn-hangup').addEventListener('click', async () => {
      await this.#endMedia();
      toast('已结束通话，摄像头和麦克风已关闭');
    });
    byId('btn-sign-clear').addEventListener('click', () => pad.clear());
    byId('btn-sign').addEventListener('click', async () => {
      const caseView = this.#visit.caseView;
      if (!caseView) return;
      if (pad.isEmpty()) return toast('请先签字', 'error');
      try {
        await this.#signal.request('signature.submit', { caseId: caseView.id, pngBase64: pad.toPngBase64() });
        byId('sign-status').textContent = '已签字确认';
        toast('签字已确认');
      } catch (e) {
        toast(messageFor(e, '签字未能提交，请重试'), 'error');
      }
    });
    byId('btn-rate').addEventListener('click', async () => {
      const caseView = this.#visit.caseView;
      if (!caseView) return;
      try {
        for (const target of ['clerk', 'counter'] as const) {
          const score = this.#stars.score(target);
          if (!score) return toast('请为两项服务分别打分', 'error');
          const comment = byId<HTMLInputElement>(`comment-${target}`).value.trim();
          await this.#signal.request('rating.submit', { caseId: caseView.id, target, score, ...(comment ? { comment } : {}) });
        }
        toast('感谢您的评价！');
      } catch (e) {
        toast(messageFor(e, '评价未能提交，请重试'), 'error');
      }
    });
    byId('btn-new').addEventListener('click', () => {
      // Nothing of this applicant may reach the next one: form, case, chat, signature, ratings, messages.
      void this.#endMedia();
      this.#visit = new Visit();
      pad.clear();
      this.#clearApplicantForm();
      for (const id of ['chat-text', 'comment-clerk', 'comment-counter']) byId<HTMLInputElement>(id).value = '';
      for (const id of ['case-summary', 'checklist', 'chat', 'documents', 'finish-documents', 'sign-status', 'finish-status']) byId(id).replaceChildren();
      this.#stars.reset();
      clearToasts();
      this.#printer.clear();
      this.#show('choose');
    });
    this.#signal.onNotification((n) => {
      const caseView = this.#visit.caseView;
      if (n.type === 'case.changed' && caseView?.id === n.caseId && n.version !== caseView.version) {
        // Start the call the moment a clerk accepts, not one round trip later.
        if (n.state === 'in_session') {
          mark('accept:heard');
          if (this.#visit.endedCallOf !== n.caseId) void this.#startCall(n.caseId).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
        }
        void this.#refreshCase(n.caseId);
      }
      if ((n.type === 'chat.message' || n.type === 'document.issued') && caseView?.id === n.caseId) void this.#refreshCase(n.caseId);
      if (n.type === 'doc.marks' && caseView?.id === n.caseId && this.#call) this.#showMarks(n.marks);
      if (n.type === 'document.issued' && caseView?.id === n.caseId) {
        toast(`收到文书：${n.title}，可以打印`);
        this.#voice?.say('document');
      }
      // A case ahead was accepted or left: our position and estimate moved.
      if (n.type === 'queue.changed' && caseView?.state === 'queued') void this.#refreshCase(caseView.id);
      if (n.type === 'auth.revoked') toast('本终端已被停用，请联系管理员', 'error');
    });
    await this.#signal.connect();
    // Device.load is the slowest step of joining; do it while nobody waits.
    void this.#devices.preload(this.#signal).catch(() => undefined);
    await this.#loadOffers().catch((e: unknown) => toast(`无法加载事项：${messageFor(e, '请检查网络后刷新页面')}`, 'error'));
    // Reopened on another node after this page's own died (ui/nodeMoved.ts): the applicant's case
    // and its call come back.
    if (resumed) await this.#refreshCase(resumed).catch((e: unknown) => toast(messageFor(e, '未能恢复原办件，请联系大厅工作人员'), 'error'));
  }

  /** Before any call measures the network, the badge tells what the signaling socket knows. */
  #showSocketQuality(s: 'connecting' | 'open' | 'closed', force = false): void {
    // Once a call has measured the network, its figure wins.
    if (this.#call && this.#callMeasured && !force) return;
    const el = byId('quality');
    el.textContent = s === 'open' ? '网络正常' : s === 'connecting' ? '网络检测中' : '网络已断开';
    el.className = `badge ${s === 'open' ? 'q-good' : s === 'connecting' ? 'q-unknown' : 'q-poor'}`;
  }

  #show(step: Step): void {
    for (const s of STEPS) byId(`step-${s}`).classList.toggle('hidden', s !== step);
    if (step === this.#step) return;
    this.#step = step;
    if (step !== 'choose') this.#voice?.say(step satisfies VoicePrompt);
  }

  async #loadOffers(): Promise<void> {
    const data = await requestJson<{ counter: { name: string; hallName: string }; offers: Offer[]; idCardReaderUrl: string | null }>('GET', '/api/counter/offers');
    this.#card.setReader(data.idCardReaderUrl ? new LocalReaderService(data.idCardReaderUrl) : undefined);
    byId('counter-name').textContent = counterTitle(data.counter.hallName, data.counter.name);
    this.#offers = data.offers;
    const partner = byId<HTMLSelectElement>('partner');
    partner.replaceChildren(...data.offers.map((o, i) => h('option', { value: String(i) }, o.servingRegion.name)));
    this.#renderItems();
  }

  #chosenOffer(): Offer | undefined {
    return this.#offers[Number(byId<HTMLSelectElement>('partner').value)];
  }

  #renderItems(): void {
    const offer = this.#chosenOffer();
    const item = byId<HTMLSelectElement>('item');
    item.replaceChildren(...(offer?.items ?? []).map((it) => h('option', { value: it.code }, it.name)));
    this.#renderItemInfo();
  }

  #renderItemInfo(): void {
    const offer = this.#chosenOffer();
    const it = offer?.items.find((x) => x.code === byId<HTMLSelectElement>('item').value);
    renderServiceHours(offer);
    const info = byId('item-info');
    if (!it) {
      info.textContent = '该地区暂无可办理事项';
      return;
    }
    info.replaceChildren(
      h('div', {}, `承诺办结时限：${it.promisedDays === 0 ? '即办件（当场办结）' : `${it.promisedDays} 个工作日`}（法定 ${it.statutoryDays === 0 ? '即办' : `${it.statutoryDays} 个工作日`}）`),
      h('div', {}, '需准备材料：', it.materials.map((m) => `${m.name}${m.mandatory ? '（必需）' : ''}`).join('、')),
    );
  }

  async #joinQueue(): Promise<void> {
    const offer = this.#chosenOffer();
    const itemCode = byId<HTMLSelectElement>('item').value;
    const name = byId<HTMLInputElement>('app-name').value.trim();
    const idNumber = byId<HTMLInputElement>('app-id').value.trim().toUpperCase();
    const phone = byId<HTMLInputElement>('app-phone').value.trim();
    if (!offer || !itemCode) return toast('请选择办理地区和事项', 'error');
    if (!name) return toast('请填写申请人姓名', 'error');
    if (!/^\d{17}[\dX]$/.test(idNumber)) return toast('身份证号码格式不正确，请核对 18 位号码（最后一位可以是 X）', 'error');
    const acting = this.#agent.read(idNumber);
    if (typeof acting === 'string') return toast(acting, 'error');
    if (!offer.serviceHours.openNow) return toast('当前非服务时间，暂不能发起办理', 'error');
    this.#visit.pending = { offer, itemCode, applicant: phone ? { name, idNumber, phone } : { name, idNumber }, acting, card: this.#card.reading };
    const notice = offer.recordingNotice;
    if (!notice) return this.#enterQueue(undefined);
    // 全程录音录像: the applicant reads and agrees before the camera starts or anything is sent.
    byId('consent-title').textContent = notice.title;
    byId('consent-text').replaceChildren(...notice.paragraphs.map((p) => h('p', {}, p)));
    this.#show('consent');
    byId('btn-consent-agree').focus();
  }

  /** The applicant agreed (or nothing is recorded): start the devices and join the remote queue. */
  async #enterQueue(recordingConsent: { noticeVersion: string } | undefined): Promise<void> {
    const pending = this.#visit.pending;
    if (!pending) return;
    const { offer, itemCode, applicant, acting, card } = pending;
    // Devices first: better to find a missing 高拍仪 now than after the clerk picked up.
    let local: LocalCapture;
    try {
      local = this.#local ??= await captureLocal(true);
    } catch (e) {
      this.#show('choose');
      return toast(e instanceof MediaAccessError ? e.message : messageFor(e, '无法启动摄像头、高拍仪或麦克风，请联系大厅技术人员'), 'error');
    }
    attachTrack(byId<HTMLVideoElement>('local-face'), local.face);
    if (local.document) attachTrack(byId<HTMLVideoElement>('local-document'), local.document);
    try {
      const view = await this.#signal.request('queue.join', {
        partnershipId: offer.partnershipId,
        itemCode,
        applicant,
        ...acting,
        ...(recordingConsent ? { recordingConsent } : {}),
      });
      // The case holds the applicant now; the form must not keep them for whoever comes next.
      this.#visit.pending = undefined;
      this.#clearApplicantForm();
      this.#onCase(view);
      if (card) void this.#handInCard(view.id, card);
    } catch (e) {
      this.#show('choose');
      toast(messageFor(e, '未能发起办理，请稍后重试；如仍不行，请联系大厅技术人员'), 'error');
    }
  }

  /** 人证核验: the card read for this applicant goes to their case (its photo for the clerk's eyes only). */
  async #handInCard(caseId: string, card: IdCardReading): Promise<void> {
    try {
      const view = await this.#signal.request('identity.card', { caseId, card: { name: card.name, idNumber: card.idNumber, photoBase64: card.photoJpegBase64, sample: card.sample } });
      if (this.#visit.caseView?.id === caseId) this.#onCase(view);
    } catch (e) {
      toast(messageFor(e, '身份证信息未能提交，异地工作人员将通过视频核对证件'), 'error');
    }
  }

  /** Empties the applicant fields of the form and forgets the card read (the next applicant starts from nothing). */
  #clearApplicantForm(): void {
    for (const id of ['app-name', 'app-id', 'app-phone']) byId<HTMLInputElement>(id).value = '';
    this.#card.clear();
    this.#agent.clear();
  }

  async #refreshCase(caseId: string): Promise<void> {
    const view = await this.#signal.request('case.get', { caseId });
    this.#onCase(view);
  }

  #onCase(incoming: CaseViewLike): void {
    const visit = this.#visit;
    const previous = visit.caseView;
    const view = newerView(previous, incoming);
    visit.caseView = view;
    if (view.state === 'queued') {
      this.#show('wait');
      // Connect the media now, held back, so that accepting only has to start the tracks.
      if (!this.#call) void this.#startCall(view.id, { paused: true }).catch(() => undefined);
      const q = view.queue as (CaseViewLike['queue'] & { clerksOnline?: number; clerksPaused?: number }) | undefined;
      byId('wait-status').textContent = q ? (q.position <= 1 ? '排队中，您是下一位' : `排队中，前面还有 ${q.position - 1} 人`) : '排队中…';
      byId('wait-detail').textContent = q
        ? `${q.clerksOnline === 0 ? ((q.clerksPaused ?? 0) > 0 ? '异地窗口工作人员暂时忙碌，请稍候；' : '异地窗口工作人员暂未在线，请稍候；') : ''}${waitText(q.estimatedWaitSeconds)}；办理事项：${view.itemName}`
        : view.itemName;
      // Clerks come and go without a queue change: look again now and then while waiting.
      window.clearTimeout(this.#waitRefresh);
      this.#waitRefresh = window.setTimeout(() => {
        const current = this.#visit.caseView;
        if (current?.id === view.id && current.state === 'queued') void this.#refreshCase(view.id).catch(() => undefined);
      }, 20_000);
      return;
    }
    if (CLOSED.includes(view.state)) {
      // The case is over: nothing of the applicant keeps streaming, nothing of the clerk keeps playing.
      void this.#endMedia();
    }
    if (view.state === 'abandoned') {
      visit.caseView = undefined;
      this.#show('choose');
      return;
    }
    if (['in_session', 'pending_materials', 'suspended'].includes(view.state) && visit.endedCallOf !== view.id) {
      void this.#startCall(view.id).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
    }
    if (view.state === 'completed' || view.state === 'rejected') {
      this.#show('finish');
      byId('finish-status').textContent = `办件${STATE_LABELS[view.state] ?? view.state}：${view.itemName}${view.number ? `（办件编号 ${view.number}）` : ''}`;
    } else if (this.#call) {
      this.#show('call');
    }
    this.#renderCase(view, previous);
  }

  /**
   * 标注 (#18): the clerk's marks over this counter's 高拍仪 preview, which then takes the whole row
   * and is outlined, so the applicant sees where the clerk points; an empty set clears them.
   */
  #showMarks(marks: readonly DocMarkWire[]): void {
    const video = byId<HTMLVideoElement>('local-document');
    const tile = video.parentElement!;
    const wasMarked = tile.classList.contains('marked');
    tile.classList.toggle('marked', marks.length > 0);
    this.#marks = marks;
    drawMarksOver(byId<HTMLCanvasElement>('doc-marks-local'), video, marks);
    if (marks.length > 0 && !wasMarked) toast('工作人员在高拍仪画面上做了标注，请按红色标记调整材料');
  }

  /** Leaves the call (if still in it) and releases camera, 高拍仪 and microphone; clears every picture and sound. */
  async #endMedia(): Promise<void> {
    const call = this.#call;
    this.#call = undefined;
    this.#callMeasured = false;
    this.#heldBack = false;
    if (this.#visit.caseView) this.#visit.endedCallOf = this.#visit.caseView.id;
    for (const t of [this.#local?.mic, this.#local?.face, this.#local?.document]) t?.stop();
    this.#local = undefined;
    for (const id of ['remote-face', 'remote-screen', 'remote-audio', 'local-face', 'local-document']) {
      const el = byId<HTMLMediaElement>(id);
      el.pause();
      el.srcObject = null;
    }
    showScreenTile(false);
    showRecordingBadge(undefined, false);
    showCallModeBadge(undefined, false);
    this.#showMarks([]);
    this.#pictures.reset();
    this.#showSocketQuality(this.#signal.isOpen ? 'open' : 'connecting');
    await call?.leave();
  }

  #renderCase(view: CaseViewLike, previous?: CaseViewLike): void {
    this.#showRecording();
    this.#form.render(view);
    byId('case-summary').replaceChildren(
      h('div', {}, h('b', {}, view.itemName), ' ', h('span', { className: 'badge' }, STATE_LABELS[view.state] ?? view.state)),
      // Each field is one unbreakable piece: a name or a number split over two lines misreads.
      h('div', { className: 'muted' }, h('span', { className: 'nowrap' }, `申请人：${view.applicant.name}`), '　', h('span', { className: 'nowrap' }, `证件号：${view.applicant.idNumber}`)),
      ...(view.agent ? [h('div', { id: 'case-agent', className: 'muted' }, h('span', { className: 'nowrap' }, `代办人：${view.agent.name}（${view.agent.relationship}）`), '　', h('span', { className: 'nowrap' }, `证件号：${view.agent.idNumber}`))] : []),
      ...(view.helper ? [h('div', { id: 'case-helper', className: 'muted' }, `帮办员：${view.helper.name}`)] : []),
      // The human case number (办件编号), as printed on the documents; the internal id stays internal.
      ...(view.number ? [h('div', { className: 'muted' }, '办件编号：', h('span', { id: 'case-number', className: 'nowrap' }, view.number))] : []),
    );
    byId('checklist').replaceChildren(
      ...view.checklist.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.name, c.mandatory ? '' : '（选）'),
          h('td', { className: 'status-cell' }, h('span', { className: 'material-status' }, MATERIAL_STATUS[c.status] ?? c.status), c.waiver ? h('div', { className: 'waiver-note' }, `${c.waiver.deadline} 前补交`) : null),
        ),
      ),
    );
    // With a 申请表 the signature confirms the form as it stands: a later change asks for it again.
    const form = view.form;
    const formChanged = form?.confirmed !== undefined && form.confirmed.changes !== form.changes;
    byId('sign-status').textContent = formChanged ? '申请表在签字后有修改，请核对后重新签字' : view.applicantSignatureSha256 ? '已签字确认' : '';
    byId('sign-status').classList.toggle('attention', formChanged);
    byId('sign-hint').textContent = form ? '请核对左侧申请表后，在框内签名确认（办结前必需）' : '请在框内签名（办结前必需）';
    this.#renderDocuments('documents', view);
    this.#renderDocuments('finish-documents', view);
    const chat = byId('chat');
    if (!previous || previous.chat.length !== view.chat.length) {
      chat.replaceChildren(...view.chat.map((l) => h('div', { className: 'line' }, h('span', { className: 'who' }, `${l.role === 'clerk' ? '工作人员' : '本窗口'} ${l.at.slice(11, 16)}`), l.text)));
      chat.scrollTop = chat.scrollHeight;
    }
  }

  /**
   * 录制中 while this page is in the case's call, sending, and the record says it is recorded:
   * shown again whenever one of the three changes (the record can say so before the call is up).
   */
  #showRecording(): void {
    const view = this.#visit.caseView;
    const inCall = view !== undefined && this.#call !== undefined && !this.#heldBack && !CLOSED.includes(view.state);
    showRecordingBadge(view, inCall);
    this.#followCallMode(view, inCall);
  }

  /**
   * The call's mode (#17's ladder): what the record says the call runs at is what this page sends
   * and what its header says; while in the call and sending, this page measures its own path and
   * proposes a step when it calls for one.
   */
  #followCallMode(view: CaseViewLike | undefined, inCall: boolean): void {
    const mode = showCallModeBadge(view, inCall);
    const call = this.#call;
    if (!call || !view || !inCall) return;
    this.#pictures.show(!mode.startsWith('audio'));
    call.followCallMode(view.id, mode, view.media?.counter ?? 'full');
  }

  /** The case's documents with a 打印 button each (kept on the finish screen: printing outlives the call). */
  #renderDocuments(tbodyId: string, view: CaseViewLike): void {
    byId(tbodyId).replaceChildren(
      ...(view.documents.length
        ? view.documents.map((d) => {
            const { printed, mayPrint } = printState(d.printLog ?? []);
            const button = h('button', { className: 'print', type: 'button', 'data-document': d.number, disabled: !mayPrint }, '打印');
            button.addEventListener('click', () => void this.#printer.print(d.number, button));
            const note = printed === 0 ? '未打印' : mayPrint ? `已打印 ${printed} 次，已批准重新打印` : `已打印 ${printed} 次`;
            return h(
              'tr',
              { 'data-document': d.number },
              h(
                'td',
                {},
                h('div', { className: 'doc-title' }, DOC_LABELS[d.type] ?? d.type),
                h('div', { className: 'muted doc-number' }, d.number),
                h('div', { className: 'muted print-state' }, note),
                mayPrint ? null : h('div', { className: 'muted print-hint' }, '再次打印须经工作人员批准'),
              ),
              h('td', { className: 'print-cell' }, button),
            );
          })
        : [h('tr', {}, h('td', { className: 'muted' }, '暂无'))]),
    );
  }

  async #startCall(caseId: string, options: { paused?: boolean } = {}): Promise<void> {
    if (!options.paused) {
      // A clerk accepted: a call connected while waiting only has to start its tracks.
      this.#heldBack = false;
      if (this.#call) {
        this.#showRecording();
        this.#call.resumeSending();
        this.#show('call');
        return;
      }
    }
    // Claimed synchronously: case.changed notifications arrive in bursts and must start one call.
    if (this.#call || this.#startingCall) return;
    this.#startingCall = true;
    this.#heldBack = options.paused ?? false;
    let next: CaseViewLike | undefined;
    try {
      const local = (this.#local ??= await captureLocal(true));
      // The case may have closed (or the applicant left) while the devices started.
      const current = this.#visit.caseView;
      if (current?.id !== caseId || CLOSED.includes(current.state) || this.#visit.endedCallOf === caseId) {
        // Another open case waits for the call this one would have been; else nobody needs the devices.
        if (current && current.id !== caseId && !CLOSED.includes(current.state)) next = current;
        else await this.#endMedia();
        return;
      }
      await this.#joinCall(caseId, local);
    } finally {
      this.#startingCall = false;
      if (next) void this.#startCall(next.id, { paused: next.state === 'queued' }).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
    }
  }

  async #joinCall(caseId: string, local: LocalCapture): Promise<void> {
    const call = new CallClient({ signal: this.#signal, devices: this.#devices, target: { sessionId: caseId }, peerId: tabPeerId() });
    call.on('remoteTrack', (t: RemoteTrack) => {
      if (t.kind === 'audio') return attachTrack(byId<HTMLAudioElement>('remote-audio'), t.track);
      const video = byId<HTMLVideoElement>(t.source === 'screen' ? 'remote-screen' : 'remote-face');
      // The 屏幕共享 tile exists only while something is shared.
      if (t.source === 'screen') showScreenTile(true);
      attachTrack(video, t.track);
      markFirstFrame(video, `frame:${t.source}`);
    });
    call.on('status', (status) => mark(`status:${status}`));
    call.on('remoteTrackEnded', (t) => {
      if (t.source === 'screen') {
        byId<HTMLVideoElement>('remote-screen').srcObject = null;
        showScreenTile(false);
      }
    });
    call.on('peer', (ev, _peerId, reason) => {
      // 转办: the case goes on with a colleague of the clerk, not a dropped line.
      if (ev === 'left') toast(reason === 'transferred' ? '工作人员已更换，新的工作人员即将接入，请稍候…' : '对方已离开通话，等待重新连接…');
    });
    call.on('quality', (q) => {
      // Nothing measured yet (e.g. no media from the other side while waiting): the socket's state stands.
      if (q.level === 'unknown') return this.#showSocketQuality(this.#signal.isOpen ? 'open' : 'connecting', true);
      this.#callMeasured = true;
      const { text, cls } = qualityLabel(q.level);
      const el = byId('quality');
      el.textContent = text;
      el.className = `badge ${cls}`;
    });
    call.on('modeProposal', (proposed, measured) => {
      void this.#signal.request('call.mode', { caseId, proposed, measured }).catch(() => undefined);
    });
    call.on('ended', () => {
      // The clerk hung up or the case closed: stay on the case (signature, rating, printing)
      // without calling back in, and let go of the camera and microphone now.
      this.#visit.endedCallOf = caseId;
      if (this.#call === call) void this.#endMedia();
      if (this.#visit.caseView) void this.#refreshCase(this.#visit.caseView.id);
    });
    this.#call = call;
    this.#showRecording();
    this.#callMeasured = false;
    if (!this.#heldBack) this.#show('call');
    const tracks = [
      { source: 'mic' as const, track: local.mic },
      { source: 'face' as const, track: local.face },
      ...(local.document ? [{ source: 'document' as const, track: local.document }] : []),
    ];
    await call.start(tracks, { paused: this.#heldBack, hold: 'warm' });
    // Accepted while we were still connecting: start the tracks now.
    if (!this.#heldBack) call.resumeSending();
  }
}

/** An object whose properties read the current values (the page replaces them as it goes). */
function liveView(getters: Record<string, () => unknown>): object {
  return Object.defineProperties({}, Object.fromEntries(Object.entries(getters).map(([key, get]) => [key, { get, enumerable: true }])));
}

/** 适老化: large type, high contrast; remembered per terminal. */
function applyLargeType(on: boolean): void {
  document.documentElement.classList.toggle('large-type', on);
  const button = document.getElementById('btn-large-type');
  if (button) {
    button.textContent = on ? '标准字体' : '大字模式';
    button.setAttribute('aria-pressed', String(on));
  }
}

/**
 * The hall and the counter without saying the same words twice: "吴江区行政服务中心 跨域通办窗口"
 * and "跨域通办窗口 1 号" read "吴江区行政服务中心 跨域通办窗口 1 号".
 */
function counterTitle(hall: string, counter: string): string {
  for (let n = Math.min(hall.length, counter.length); n > 0; n--) {
    if (hall.endsWith(counter.slice(0, n))) return `${hall.slice(0, hall.length - n).trimEnd()} ${counter}`.trim();
  }
  return hall ? `${hall} · ${counter}` : counter;
}

/** Hours and open-now of the chosen partnership, shown before anything is typed; closed means no submit. */
function renderServiceHours(offer: Offer | undefined): void {
  const el = byId('service-hours');
  const blocked = byId('queue-blocked');
  const button = byId<HTMLButtonElement>('btn-queue');
  if (!offer) {
    el.textContent = '';
    blocked.classList.add('hidden');
    button.disabled = true;
    return;
  }
  const open = offer.serviceHours.openNow;
  el.className = `hours ${open ? 'open' : 'closed'}`;
  el.textContent = open ? `营业中 · 服务时间：${offer.serviceHours.text}` : `当前非服务时间，服务时间为 ${offer.serviceHours.text}`;
  blocked.textContent = open ? '' : `${offer.servingRegion.name}当前非服务时间，暂不能发起办理，请在服务时间内再来。`;
  blocked.classList.toggle('hidden', open);
  button.disabled = !open;
}

/** The wait as a person wants to hear it: soon, or about how long. */
function waitText(seconds: number): string {
  return seconds <= 30 ? '即将接通' : `预计等待约 ${formatWait(seconds)}`;
}

/** The 屏幕共享 tile exists only while something is shared. */
function showScreenTile(on: boolean): void {
  byId('screen-tile').classList.toggle('hidden', !on);
  byId('remote-videos').classList.toggle('one', !on);
}
