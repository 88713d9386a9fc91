import { CallClient, preloadDevice, type RemoteTrack } from '../call/CallClient';
import { captureLocal, MediaAccessError } from '../call/localMedia';
import { SignalClient } from '../call/SignalClient';
import { DOC_LABELS, MATERIAL_STATUS, STATE_LABELS, type CaseViewLike } from '../ui/caseView';
import { attachTrack, clearToasts, messageFor, mark, markFirstFrame, marks, byId, formatWait, h, qualityLabel, showConnection, tabPeerId, toast, wsUrl } from '../ui/dom';
import { SignaturePad } from '../ui/SignaturePad';
import { activateCounterFromHash } from '../auth/activateCounterFromHash';
import { requestJson } from '../auth/requestJson';

/** A partnership offer as the counter sees it: the remote region and its items for us. */
interface Offer {
  partnershipId: string;
  servingRegion: { code: string; name: string };
  /** The partnership's hours as the server reads them, and whether it is open by the server's clock. */
  serviceHours: { text: string; openNow: boolean };
  items: { code: string; name: string; promisedDays: number; statutoryDays: number; materials: { id: string; name: string; mandatory: boolean }[] }[];
}

const state: {
  offers: Offer[];
  caseView: CaseViewLike | undefined;
  call: CallClient | undefined;
  local: { mic: MediaStreamTrack; face: MediaStreamTrack; document?: MediaStreamTrack } | undefined;
  ratings: Record<'clerk' | 'counter', number>;
  endedCallOf: string | undefined;
  /** The call has reported a measured network quality (then the badge shows it, not the socket's). */
  callMeasured: boolean;
} = { offers: [], caseView: undefined, call: undefined, local: undefined, ratings: { clerk: 0, counter: 0 }, endedCallOf: undefined, callMeasured: false };

const LARGE_TYPE_KEY = 'rvw.counter.largeType';

/** 适老化: large type, high contrast; remembered per terminal, applied before the first paint we control. */
function applyLargeType(on: boolean): void {
  document.documentElement.classList.toggle('large-type', on);
  const button = document.getElementById('btn-large-type');
  if (button) {
    button.textContent = on ? '标准字体' : '大字模式';
    button.setAttribute('aria-pressed', String(on));
  }
}
applyLargeType(localStorage.getItem(LARGE_TYPE_KEY) === '1');

/** Before any call measures the network, the badge tells what the signaling socket knows. */
function showSocketQuality(s: 'connecting' | 'open' | 'closed', force = false): void {
  // Once a call has measured the network, its figure wins.
  if (state.call && state.callMeasured && !force) return;
  const el = byId('quality');
  el.textContent = s === 'open' ? '网络正常' : s === 'connecting' ? '网络检测中' : '网络已断开';
  el.className = `badge ${s === 'open' ? 'q-good' : s === 'connecting' ? 'q-unknown' : 'q-poor'}`;
}

const signal = new SignalClient({
  url: wsUrl(),
  onStateChange: (s) => {
    showConnection(s);
    showSocketQuality(s);
  },
  onOpen: async (reconnect) => {
    if (!reconnect) return;
    if (state.caseView) await refreshCase(state.caseView.id);
    await state.call?.resume();
  },
});

// Exposed for the end-to-end tests and for hall technicians debugging from the console.
Object.assign(window, { rvw: { signal, state, marks, get call() { return state.call; } } });

function show(step: 'choose' | 'wait' | 'call' | 'finish'): void {
  for (const s of ['choose', 'wait', 'call', 'finish']) byId(`step-${s}`).classList.toggle('hidden', s !== step);
}

async function loadOffers(): Promise<void> {
  const data = await requestJson<{ counter: { name: string; hallName: string }; offers: Offer[] }>('GET', '/api/counter/offers');
  byId('counter-name').textContent = counterTitle(data.counter.hallName, data.counter.name);
  state.offers = data.offers;
  const partner = byId<HTMLSelectElement>('partner');
  partner.replaceChildren(...data.offers.map((o, i) => h('option', { value: String(i) }, o.servingRegion.name)));
  renderItems();
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

function renderItems(): void {
  const offer = state.offers[Number(byId<HTMLSelectElement>('partner').value)];
  const item = byId<HTMLSelectElement>('item');
  item.replaceChildren(...(offer?.items ?? []).map((it) => h('option', { value: it.code }, it.name)));
  renderItemInfo();
}

function renderItemInfo(): void {
  const offer = state.offers[Number(byId<HTMLSelectElement>('partner').value)];
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

async function joinQueue(): Promise<void> {
  const offer = state.offers[Number(byId<HTMLSelectElement>('partner').value)];
  const itemCode = byId<HTMLSelectElement>('item').value;
  const name = byId<HTMLInputElement>('app-name').value.trim();
  const idNumber = byId<HTMLInputElement>('app-id').value.trim().toUpperCase();
  const phone = byId<HTMLInputElement>('app-phone').value.trim();
  if (!offer || !itemCode) return toast('请选择办理地区和事项', 'error');
  if (!name) return toast('请填写申请人姓名', 'error');
  if (!/^\d{17}[\dX]$/.test(idNumber)) return toast('身份证号码格式不正确，请核对 18 位号码（最后一位可以是 X）', 'error');
  if (!offer.serviceHours.openNow) return toast('当前非服务时间，暂不能发起办理', 'error');
  // Devices first: better to find a missing 高拍仪 now than after the clerk picked up.
  try {
    state.local ??= await captureLocal(true);
  } catch (e) {
    return toast(e instanceof MediaAccessError ? e.message : messageFor(e, '无法启动摄像头、高拍仪或麦克风，请联系大厅技术人员'), 'error');
  }
  attachTrack(byId<HTMLVideoElement>('local-face'), state.local.face);
  if (state.local.document) attachTrack(byId<HTMLVideoElement>('local-document'), state.local.document);
  try {
    const view = await signal.request<'queue.join', CaseViewLike>('queue.join', {
      partnershipId: offer.partnershipId,
      itemCode,
      applicant: phone ? { name, idNumber, phone } : { name, idNumber },
    });
    // The case holds the applicant now; the form must not keep them for whoever comes next.
    clearApplicantForm();
    onCase(view);
  } catch (e) {
    toast(messageFor(e, '未能发起办理，请稍后重试；如仍不行，请联系大厅技术人员'), 'error');
  }
}

async function refreshCase(caseId: string): Promise<void> {
  const view = await signal.request<'case.get', CaseViewLike>('case.get', { caseId });
  onCase(view);
}

function onCase(view: CaseViewLike): void {
  const previous = state.caseView;
  state.caseView = view;
  if (view.state === 'queued') {
    show('wait');
    // Connect the media now, held back, so that accepting only has to start the tracks.
    if (!state.call) void startCall(view.id, { paused: true }).catch(() => undefined);
    const q = view.queue as (CaseViewLike['queue'] & { clerksOnline?: number }) | undefined;
    byId('wait-status').textContent = q ? (q.position <= 1 ? '排队中，您是下一位' : `排队中，前面还有 ${q.position - 1} 人`) : '排队中…';
    byId('wait-detail').textContent = q
      ? `${q.clerksOnline === 0 ? '异地窗口工作人员暂未在线，请稍候；' : ''}${waitText(q.estimatedWaitSeconds)}；办理事项：${view.itemName}`
      : view.itemName;
    // Clerks come and go without a queue change: look again now and then while waiting.
    window.clearTimeout(waitRefresh);
    waitRefresh = window.setTimeout(() => {
      if (state.caseView?.id === view.id && state.caseView.state === 'queued') void refreshCase(view.id).catch(() => undefined);
    }, 20_000);
    return;
  }
  if (CLOSED.includes(view.state)) {
    // The case is over: nothing of the applicant keeps streaming, nothing of the clerk keeps playing.
    void endMedia();
  }
  if (view.state === 'abandoned') {
    state.caseView = undefined;
    show('choose');
    return;
  }
  if (['in_session', 'pending_materials', 'suspended'].includes(view.state) && state.endedCallOf !== view.id) void startCall(view.id).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
  if (view.state === 'completed' || view.state === 'rejected') {
    show('finish');
    byId('finish-status').textContent = `办件${STATE_LABELS[view.state] ?? view.state}：${view.itemName}${view.number ? `（办件编号 ${view.number}）` : ''}`;
  } else if (state.call) {
    show('call');
  }
  renderCase(view, previous);
}

const CLOSED = ['completed', 'rejected', 'abandoned'];
const CALL_FAILED = '视频连线未能建立，请检查网络；如仍不行，请联系大厅技术人员';

let waitRefresh = 0;

/** The wait as a person wants to hear it: soon, or about how long. */
function waitText(seconds: number): string {
  return seconds <= 30 ? '即将接通' : `预计等待约 ${formatWait(seconds)}`;
}

/** Leaves the call (if still in it) and releases camera, 高拍仪 and microphone; clears every picture and sound. */
async function endMedia(): Promise<void> {
  const call = state.call;
  state.call = undefined;
  state.callMeasured = false;
  heldBack = false;
  if (state.caseView) state.endedCallOf = state.caseView.id;
  for (const t of [state.local?.mic, state.local?.face, state.local?.document]) t?.stop();
  state.local = undefined;
  for (const id of ['remote-face', 'remote-screen', 'remote-audio', 'local-face', 'local-document']) {
    const el = byId<HTMLMediaElement>(id);
    el.pause();
    el.srcObject = null;
  }
  byId('screen-tile').classList.add('hidden');
  byId('remote-videos').classList.add('one');
  showSocketQuality(signal.isOpen ? 'open' : 'connecting');
  await call?.leave();
}

function renderCase(view: CaseViewLike, previous?: CaseViewLike): void {
  byId('case-summary').replaceChildren(
    h('div', {}, h('b', {}, view.itemName), ' ', h('span', { className: 'badge' }, STATE_LABELS[view.state] ?? view.state)),
    // Each field is one unbreakable piece: a name or a number split over two lines misreads.
    h('div', { className: 'muted' }, h('span', { className: 'nowrap' }, `申请人：${view.applicant.name}`), '　', h('span', { className: 'nowrap' }, `证件号：${view.applicant.idNumber}`)),
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
  byId('sign-status').textContent = view.applicantSignatureSha256 ? '已签字确认' : '';
  renderDocuments('documents', view);
  renderDocuments('finish-documents', view);
  const chat = byId('chat');
  if (!previous || previous.chat.length !== view.chat.length) {
    chat.replaceChildren(...view.chat.map((l) => h('div', { className: 'line' }, h('span', { className: 'who' }, `${l.role === 'clerk' ? '工作人员' : '本窗口'} ${l.at.slice(11, 16)}`), l.text)));
    chat.scrollTop = chat.scrollHeight;
  }
}

/** The case's documents with a 打印 button each (kept on the finish screen: printing outlives the call). */
function renderDocuments(tbodyId: string, view: CaseViewLike): void {
  byId(tbodyId).replaceChildren(
    ...(view.documents.length
      ? view.documents.map((d) => {
          const { printed, mayPrint } = printState(d.printLog ?? []);
          const button = h('button', { className: 'print', type: 'button', 'data-document': d.number, disabled: !mayPrint }, '打印');
          button.addEventListener('click', () => void printDocument(d.number, button));
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

/**
 * Prints so far and whether another is allowed, replayed from the case's print log the way the
 * server counts (one print, plus one per approval not yet used). The server still decides; this
 * only keeps the button from offering what would be refused.
 */
function printState(log: { event: string }[]): { printed: number; mayPrint: boolean } {
  let printed = 0;
  let allowed = 1;
  for (const e of log) {
    if (e.event === 'printed') printed++;
    if (e.event === 'reprint_approved') allowed = Math.max(allowed, printed + 1);
  }
  return { printed, mayPrint: printed < allowed };
}

async function startCall(caseId: string, options: { paused?: boolean } = {}): Promise<void> {
  if (!options.paused) {
    // A clerk accepted: a call connected while waiting only has to start its tracks.
    heldBack = false;
    if (state.call) {
      state.call.resumeSending();
      show('call');
      return;
    }
  }
  // Claimed synchronously: case.changed notifications arrive in bursts and must start one call.
  if (state.call || startingCall) return;
  startingCall = true;
  heldBack = options.paused ?? false;
  let next: CaseViewLike | undefined;
  try {
    state.local ??= await captureLocal(true);
    // The case may have closed (or the applicant left) while the devices started.
    const current = state.caseView;
    if (current?.id !== caseId || CLOSED.includes(current.state) || state.endedCallOf === caseId) {
      // Another open case waits for the call this one would have been; else nobody needs the devices.
      if (current && current.id !== caseId && !CLOSED.includes(current.state)) next = current;
      else await endMedia();
      return;
    }
    await joinCall(caseId, state.local);
  } finally {
    startingCall = false;
    if (next) void startCall(next.id, { paused: next.state === 'queued' }).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
  }
}

/** True while the call is connected for a queued case (tracks held back until a clerk accepts). */
let heldBack = false;

let startingCall = false;

async function joinCall(caseId: string, local: NonNullable<typeof state.local>): Promise<void> {
  const call = new CallClient(signal, { sessionId: caseId }, tabPeerId(), {
    onRemoteTrack: (t: RemoteTrack) => {
      if (t.kind === 'audio') return attachTrack(byId<HTMLAudioElement>('remote-audio'), t.track);
      const video = byId<HTMLVideoElement>(t.source === 'screen' ? 'remote-screen' : 'remote-face');
      // The 屏幕共享 tile exists only while something is shared.
      if (t.source === 'screen') showScreenTile(true);
      attachTrack(video, t.track);
      markFirstFrame(video, `frame:${t.source}`);
    },
    onStatus: (status) => mark(`status:${status}`),
    onRemoteTrackEnded: (t) => {
      if (t.source === 'screen') {
        byId<HTMLVideoElement>('remote-screen').srcObject = null;
        showScreenTile(false);
      }
    },
    onPeer: (ev) => {
      if (ev === 'left') toast('对方已离开通话，等待重新连接…');
    },
    onQuality: (q) => {
      // Nothing measured yet (e.g. no media from the other side while waiting): the socket's state stands.
      if (q.level === 'unknown') return showSocketQuality(signal.isOpen ? 'open' : 'connecting', true);
      state.callMeasured = true;
      const { text, cls } = qualityLabel(q.level);
      const el = byId('quality');
      el.textContent = text;
      el.className = `badge ${cls}`;
    },
    onEnded: () => {
      // The clerk hung up or the case closed: stay on the case (signature, rating, printing)
      // without calling back in, and let go of the camera and microphone now.
      state.endedCallOf = caseId;
      if (state.call === call) void endMedia();
      if (state.caseView) void refreshCase(state.caseView.id);
    },
  });
  state.call = call;
  state.callMeasured = false;
  if (!heldBack) show('call');
  const tracks = [
    { source: 'mic' as const, track: local.mic },
    { source: 'face' as const, track: local.face },
    ...(local.document ? [{ source: 'document' as const, track: local.document }] : []),
  ];
  await call.start(tracks, { paused: heldBack, hold: 'warm' });
  // Accepted while we were still connecting: start the tracks now.
  if (!heldBack) call.resumeSending();
}

function showScreenTile(on: boolean): void {
  byId('screen-tile').classList.toggle('hidden', !on);
  byId('remote-videos').classList.toggle('one', !on);
}

let printing = false;

/**
 * Prints a document from a frame of this page: a token loads the PDF (not a print yet), the frame
 * must really show a PDF, the print dialog opens, and only then the print is confirmed (counted).
 * A PDF that does not load is the system's failure, reported as such, and uses up no print.
 */
async function printDocument(number: string, button: HTMLButtonElement): Promise<void> {
  if (printing) return;
  printing = true;
  button.disabled = true;
  const path = `/api/documents/${encodeURIComponent(number)}`;
  try {
    let token: string;
    try {
      ({ token } = await requestJson<{ token: string }>('POST', `${path}/print-token`, {}));
    } catch (e) {
      toast(messageFor(e, '暂时不能打印，请稍后重试；如仍不行，请联系大厅技术人员'), 'error');
      return;
    }
    const frame = byId<HTMLIFrameElement>('print-frame');
    if (!(await loadIntoFrame(frame, `/api/print/${encodeURIComponent(token)}`))) {
      await requestJson('POST', `${path}/print-report`, { outcome: 'failure', reason: '系统未能载入文书' }).catch(() => undefined);
      toast('系统未能载入文书，本次未计打印次数。请再点一次“打印”；如仍不行，请联系大厅技术人员或系统管理员。', 'error');
      return;
    }
    try {
      frame.contentWindow?.print();
    } catch {
      toast('未能打开打印对话框，本次未计打印次数。请再点一次“打印”；如仍不行，请联系大厅技术人员。', 'error');
      return;
    }
    try {
      await requestJson('POST', `${path}/print-confirm`, { token });
      toast('已发送到打印机');
    } catch (e) {
      toast(messageFor(e, '打印已发出，但未能登记打印次数，请告知工作人员'), 'error');
    }
  } finally {
    printing = false;
    button.disabled = false;
  }
}

/** Loads `url` into the frame; true only when the frame then shows a PDF (not an error page). */
function loadIntoFrame(frame: HTMLIFrameElement, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      window.clearTimeout(timer);
      frame.onload = null;
      resolve(ok);
    };
    const timer = window.setTimeout(() => finish(false), 20_000);
    frame.onload = () => {
      let type: string | undefined;
      try {
        type = frame.contentDocument?.contentType;
      } catch {
        type = undefined;
      }
      finish(type === 'application/pdf');
    };
    frame.src = url;
  });
}

/** The 好差评 five levels, from 1 star to 5. */
const RATING_LABELS = ['非常不满意', '不满意', '基本满意', '满意', '非常满意'];

function setupStars(): void {
  for (const box of document.querySelectorAll<HTMLElement>('.stars')) {
    const target = box.dataset.target as 'clerk' | 'counter';
    const buttons = RATING_LABELS.map((label, i) =>
      h(
        'button',
        {
          type: 'button',
          className: 'star',
          'data-score': i + 1,
          'aria-pressed': 'false',
          'aria-label': `${i + 1} 星 ${label}`,
          onclick: () => {
            state.ratings[target] = i + 1;
            renderStars(buttons, i + 1);
          },
        },
        h('span', { className: 'glyph', 'aria-hidden': 'true' }, '★'),
        h('span', { className: 'star-label' }, label),
      ),
    );
    box.replaceChildren(...buttons);
  }
}

/** Filled up to the score, the chosen one marked (colour, border, aria-pressed). */
function renderStars(buttons: HTMLButtonElement[], score: number): void {
  buttons.forEach((b, i) => {
    b.classList.toggle('on', i < score);
    b.classList.toggle('chosen', i + 1 === score);
    b.setAttribute('aria-pressed', String(i + 1 === score));
  });
}

/** Empties the applicant fields of the form (the next applicant starts from nothing). */
function clearApplicantForm(): void {
  for (const id of ['app-name', 'app-id', 'app-phone']) byId<HTMLInputElement>(id).value = '';
}

async function main(): Promise<void> {
  // A terminal opened through its one-time activation link gets its device cookie first.
  try {
    const activated = await activateCounterFromHash();
    if (activated) toast('本终端已激活');
  } catch (e) {
    toast(`终端激活失败：${messageFor(e, '激活链接无效或已使用，请联系管理员重新生成')}`, 'error');
  }
  setupStars();
  byId('btn-large-type').addEventListener('click', () => {
    const on = !document.documentElement.classList.contains('large-type');
    localStorage.setItem(LARGE_TYPE_KEY, on ? '1' : '0');
    applyLargeType(on);
  });
  applyLargeType(localStorage.getItem(LARGE_TYPE_KEY) === '1');
  const pad = new SignaturePad(byId<HTMLCanvasElement>('signature'));
  byId('partner').addEventListener('change', renderItems);
  byId('item').addEventListener('change', renderItemInfo);
  byId('btn-queue').addEventListener('click', () => void joinQueue());
  byId('btn-leave').addEventListener('click', async () => {
    if (!state.caseView) return;
    await signal.request('queue.leave', { caseId: state.caseView.id }).catch((e: unknown) => toast(messageFor(e, '未能离开队列，请重试'), 'error'));
    // Nothing of the applicant keeps running once they leave.
    await endMedia();
    state.caseView = undefined;
    state.endedCallOf = undefined;
    show('choose');
  });
  byId('btn-chat').addEventListener('click', async () => {
    const input = byId<HTMLInputElement>('chat-text');
    if (!state.caseView || !input.value.trim()) return;
    await signal.request('chat.send', { caseId: state.caseView.id, text: input.value.trim() }).catch((e: unknown) => toast(messageFor(e, '消息未能发送，请重试'), 'error'));
    input.value = '';
  });
  byId('btn-hangup').addEventListener('click', async () => {
    await endMedia();
    toast('已结束通话，摄像头和麦克风已关闭');
  });
  byId('btn-sign-clear').addEventListener('click', () => pad.clear());
  byId('btn-sign').addEventListener('click', async () => {
    if (!state.caseView) return;
    if (pad.isEmpty()) return toast('请先签字', 'error');
    try {
      await signal.request('signature.submit', { caseId: state.caseView.id, pngBase64: pad.toPngBase64() });
      byId('sign-status').textContent = '已签字确认';
      toast('签字已确认');
    } catch (e) {
      toast(messageFor(e, '签字未能提交，请重试'), 'error');
    }
  });
  byId('btn-rate').addEventListener('click', async () => {
    if (!state.caseView) return;
    try {
      for (const target of ['clerk', 'counter'] as const) {
        if (!state.ratings[target]) return toast('请为两项服务分别打分', 'error');
        const comment = byId<HTMLInputElement>(`comment-${target}`).value.trim();
        await signal.request('rating.submit', { caseId: state.caseView.id, target, score: state.ratings[target], ...(comment ? { comment } : {}) });
      }
      toast('感谢您的评价！');
    } catch (e) {
      toast(messageFor(e, '评价未能提交，请重试'), 'error');
    }
  });
  byId('btn-new').addEventListener('click', () => {
    // Nothing of this applicant may reach the next one: form, case, chat, signature, ratings, messages.
    void endMedia();
    state.caseView = undefined;
    state.endedCallOf = undefined;
    state.ratings = { clerk: 0, counter: 0 };
    pad.clear();
    clearApplicantForm();
    for (const id of ['chat-text', 'comment-clerk', 'comment-counter']) byId<HTMLInputElement>(id).value = '';
    for (const id of ['case-summary', 'checklist', 'chat', 'documents', 'finish-documents', 'sign-status', 'finish-status']) byId(id).replaceChildren();
    setupStars();
    clearToasts();
    // The last applicant's PDF must not stay loaded in the print frame.
    byId<HTMLIFrameElement>('print-frame').src = 'about:blank';
    show('choose');
  });
  signal.onNotification((n) => {
    if (n.type === 'case.changed' && state.caseView?.id === n.caseId && n.version !== state.caseView.version) {
      // Start the call the moment a clerk accepts, not one round trip later.
      if (n.state === 'in_session' && state.endedCallOf !== n.caseId) void startCall(n.caseId).catch((e: unknown) => toast(messageFor(e, CALL_FAILED), 'error'));
      void refreshCase(n.caseId);
    }
    if ((n.type === 'chat.message' || n.type === 'document.issued') && state.caseView?.id === n.caseId) void refreshCase(n.caseId);
    if (n.type === 'document.issued') toast(`收到文书：${n.title}，可以打印`);
    // A case ahead was accepted or left: our position and estimate moved.
    if (n.type === 'queue.changed' && state.caseView?.state === 'queued') void refreshCase(state.caseView.id);
    if (n.type === 'auth.revoked') toast('本终端已被停用，请联系管理员', 'error');
  });
  await signal.connect();
  // Device.load is the slowest step of joining; do it while nobody waits.
  void preloadDevice(signal).catch(() => undefined);
  await loadOffers().catch((e: unknown) => toast(`无法加载事项：${messageFor(e, '请检查网络后刷新页面')}`, 'error'));
}

void main();
