import { CallClient, preloadDevice, type RemoteTrack } from '../call/CallClient';
import { captureLocal, MediaAccessError } from '../call/localMedia';
import { SignalClient } from '../call/SignalClient';
import { DOC_LABELS, MATERIAL_STATUS, STATE_LABELS, type CaseViewLike } from '../ui/caseView';
import { attachTrack, mark, markFirstFrame, marks, byId, formatWait, h, qualityLabel, showConnection, tabPeerId, toast, wsUrl } from '../ui/dom';
import { SignaturePad } from '../ui/SignaturePad';
import { activateCounterFromHash } from '../auth/activateCounterFromHash';
import { requestJson } from '../auth/requestJson';

/** A partnership offer as the counter sees it: the remote region and its items for us. */
interface Offer {
  partnershipId: string;
  servingRegion: { code: string; name: string };
  items: { code: string; name: string; promisedDays: number; statutoryDays: number; materials: { id: string; name: string; mandatory: boolean }[] }[];
}

const state: {
  offers: Offer[];
  caseView: CaseViewLike | undefined;
  call: CallClient | undefined;
  local: { mic: MediaStreamTrack; face: MediaStreamTrack; document?: MediaStreamTrack } | undefined;
  ratings: Record<'clerk' | 'counter', number>;
  endedCallOf: string | undefined;
} = { offers: [], caseView: undefined, call: undefined, local: undefined, ratings: { clerk: 0, counter: 0 }, endedCallOf: undefined };

const signal = new SignalClient({
  url: wsUrl(),
  onStateChange: showConnection,
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
  byId('counter-name').textContent = `${data.counter.hallName} · ${data.counter.name}`;
  state.offers = data.offers;
  const partner = byId<HTMLSelectElement>('partner');
  partner.replaceChildren(...data.offers.map((o, i) => h('option', { value: String(i) }, o.servingRegion.name)));
  renderItems();
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

async function joinQueue(): Promise<void> {
  const offer = state.offers[Number(byId<HTMLSelectElement>('partner').value)];
  const itemCode = byId<HTMLSelectElement>('item').value;
  const name = byId<HTMLInputElement>('app-name').value.trim();
  const idNumber = byId<HTMLInputElement>('app-id').value.trim().toUpperCase();
  const phone = byId<HTMLInputElement>('app-phone').value.trim();
  if (!offer || !itemCode) return toast('请选择办理地区和事项', 'error');
  if (!name) return toast('请填写申请人姓名', 'error');
  if (!/^\d{17}[\dX]$/.test(idNumber)) return toast('请填写 18 位身份证号码', 'error');
  // Devices first: better to find a missing 高拍仪 now than after the clerk picked up.
  try {
    state.local ??= await captureLocal(true);
  } catch (e) {
    return toast(e instanceof MediaAccessError ? e.message : String(e), 'error');
  }
  attachTrack(byId<HTMLVideoElement>('local-face'), state.local.face);
  if (state.local.document) attachTrack(byId<HTMLVideoElement>('local-document'), state.local.document);
  try {
    const view = await signal.request<'queue.join', CaseViewLike>('queue.join', {
      partnershipId: offer.partnershipId,
      itemCode,
      applicant: phone ? { name, idNumber, phone } : { name, idNumber },
    });
    onCase(view);
  } catch (e) {
    toast((e as Error).message, 'error');
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
    const q = view.queue;
    byId('wait-status').textContent = q ? `排队中，前面还有 ${q.position - 1} 人` : '排队中…';
    byId('wait-detail').textContent = q ? `预计等待 ${formatWait(q.estimatedWaitSeconds)}；办理事项：${view.itemName}` : view.itemName;
    return;
  }
  if (view.state === 'abandoned') {
    show('choose');
    return;
  }
  if (['in_session', 'pending_materials', 'suspended'].includes(view.state) && state.endedCallOf !== view.id) void startCall(view.id).catch((e: Error) => toast(e.message, 'error'));
  if (['completed', 'rejected'].includes(view.state)) {
    show('finish');
    byId('finish-status').textContent = `办件${STATE_LABELS[view.state]}：${view.itemName}`;
  } else if (state.call) {
    show('call');
  }
  renderCase(view, previous);
}

function renderCase(view: CaseViewLike, previous?: CaseViewLike): void {
  byId('case-summary').replaceChildren(
    h('div', {}, h('b', {}, view.itemName), ' ', h('span', { className: 'badge' }, STATE_LABELS[view.state] ?? view.state)),
    h('div', { className: 'muted' }, `申请人：${view.applicant.name}　证件号：${view.applicant.idNumber}`),
  );
  byId('checklist').replaceChildren(
    ...view.checklist.map((c) =>
      h('tr', {}, h('td', {}, c.name, c.mandatory ? '' : '（选）'), h('td', {}, MATERIAL_STATUS[c.status] ?? c.status, c.waiver ? `，${c.waiver.deadline} 前补交` : '')),
    ),
  );
  byId('sign-status').textContent = view.applicantSignatureSha256 ? '已签字确认' : '';
  const docs = byId('documents');
  docs.replaceChildren(
    ...(view.documents.length
      ? view.documents.map((d) =>
          h('tr', {}, h('td', {}, DOC_LABELS[d.type] ?? d.type, h('div', { className: 'muted' }, d.number)), h('td', {}, h('button', { onclick: () => void printDocument(d.number) }, '打印'))),
        )
      : [h('tr', {}, h('td', { className: 'muted' }, '暂无'))]),
  );
  const chat = byId('chat');
  if (!previous || previous.chat.length !== view.chat.length) {
    chat.replaceChildren(...view.chat.map((l) => h('div', { className: 'line' }, h('span', { className: 'who' }, `${l.role === 'clerk' ? '工作人员' : '本窗口'} ${l.at.slice(11, 16)}`), l.text)));
    chat.scrollTop = chat.scrollHeight;
  }
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
  try {
    state.local ??= await captureLocal(true);
    await joinCall(caseId, state.local);
  } finally {
    startingCall = false;
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
      attachTrack(video, t.track);
      markFirstFrame(video, `frame:${t.source}`);
    },
    onStatus: (status) => mark(`status:${status}`),
    onRemoteTrackEnded: (t) => {
      if (t.source === 'screen') byId<HTMLVideoElement>('remote-screen').srcObject = null;
    },
    onPeer: (ev) => {
      if (ev === 'left') toast('对方已离开通话，等待重新连接…');
    },
    onQuality: (q) => {
      const { text, cls } = qualityLabel(q.level);
      const el = byId('quality');
      el.textContent = text;
      el.className = `badge ${cls}`;
    },
    onEnded: () => {
      // The clerk hung up: stay on the case (signature, rating) without calling back in.
      state.endedCallOf = caseId;
      state.call = undefined;
      if (state.caseView) void refreshCase(state.caseView.id);
    },
  });
  state.call = call;
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

async function printDocument(number: string): Promise<void> {
  try {
    const { token } = await requestJson<{ token: string }>('POST', `/api/documents/${encodeURIComponent(number)}/print-token`, {});
    const frame = byId<HTMLIFrameElement>('print-frame');
    frame.src = `/api/print/${encodeURIComponent(token)}`;
    frame.onload = async () => {
      let ok = true;
      try {
        frame.contentWindow?.print();
      } catch {
        ok = false;
      }
      await requestJson('POST', `/api/documents/${encodeURIComponent(number)}/print-report`, { outcome: ok ? 'success' : 'failure' }).catch(() => undefined);
      toast(ok ? '已发送到打印机' : '打印失败，请检查打印机', ok ? 'info' : 'error');
    };
  } catch (e) {
    toast((e as Error).message, 'error');
  }
}

function setupStars(): void {
  for (const box of document.querySelectorAll<HTMLElement>('.stars')) {
    const target = box.dataset.target as 'clerk' | 'counter';
    const buttons = [1, 2, 3, 4, 5].map((n) =>
      h('button', {
        type: 'button',
        'aria-label': `${n} 星`,
        onclick: () => {
          state.ratings[target] = n;
          buttons.forEach((b, i) => b.classList.toggle('on', i < n));
        },
      }, '★'),
    );
    box.replaceChildren(...buttons);
  }
}

async function main(): Promise<void> {
  // A terminal opened through its one-time activation link gets its device cookie first.
  try {
    const activated = await activateCounterFromHash();
    if (activated) toast('本终端已激活');
  } catch (e) {
    toast(`终端激活失败：${(e as Error).message}`, 'error');
  }
  setupStars();
  const pad = new SignaturePad(byId<HTMLCanvasElement>('signature'));
  byId('partner').addEventListener('change', renderItems);
  byId('item').addEventListener('change', renderItemInfo);
  byId('btn-queue').addEventListener('click', () => void joinQueue());
  byId('btn-leave').addEventListener('click', async () => {
    if (!state.caseView) return;
    await signal.request('queue.leave', { caseId: state.caseView.id }).catch((e: Error) => toast(e.message, 'error'));
    state.caseView = undefined;
    show('choose');
  });
  byId('btn-chat').addEventListener('click', async () => {
    const input = byId<HTMLInputElement>('chat-text');
    if (!state.caseView || !input.value.trim()) return;
    await signal.request('chat.send', { caseId: state.caseView.id, text: input.value.trim() }).catch((e: Error) => toast(e.message, 'error'));
    input.value = '';
  });
  byId('btn-hangup').addEventListener('click', async () => {
    await state.call?.leave();
    state.call = undefined;
    toast('已结束通话');
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
      toast((e as Error).message, 'error');
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
      toast((e as Error).message, 'error');
    }
  });
  byId('btn-new').addEventListener('click', () => {
    state.caseView = undefined;
    state.endedCallOf = undefined;
    pad.clear();
    byId('sign-status').textContent = '';
    show('choose');
  });
  signal.onNotification((n) => {
    if (n.type === 'case.changed' && state.caseView?.id === n.caseId && n.version !== state.caseView.version) {
      // Start the call the moment a clerk accepts, not one round trip later.
      if (n.state === 'in_session' && state.endedCallOf !== n.caseId) void startCall(n.caseId).catch((e: Error) => toast(e.message, 'error'));
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
  await loadOffers().catch((e: Error) => toast(`无法加载事项：${e.message}`, 'error'));
}

void main();
