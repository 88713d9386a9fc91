import type { ArchiveCaseLine, ArchiveFilters, ArchiveSearchPage } from '@rvw/protocol/archive';
import { CASE_STATE_LABELS, CASE_STATES } from '@rvw/protocol/vocabulary';
import { byId, h, toast } from '../ui/dom';
import { adminApi } from './adminApi';
import { ArchiveCasePage } from './archiveCasePage';
import { check, emptyRow, fillSelect, messageOf, onSubmit, showFormError } from './forms';
import { lastDays, rangeProblem } from './statsRange';
import { formatBeijingTime } from './statsFormat';

/** Lines asked for per request, and requests one search or 加载更多 makes at most to fill a page. */
const PAGE_SIZE = 20;
const MAX_REQUESTS = 5;
/** The range the tab opens with: the last 30 Beijing days. */
const DEFAULT_DAYS = 30;
const CASE_NUMBER = /^\d{6}-\d{8}-\d{4,}$/;

const time = (iso: string | null) => (iso ? formatBeijingTime(iso) : '—');

/**
 * 办件档案 tab: find cases — by 办件编号, or by date (申请日期, Beijing days), state, item, hall,
 * clerk and partnership — in a table, newest first, with 加载更多; a click opens the case page
 * (ArchiveCasePage) in place of the search, and 返回 brings the search back as it was. The
 * server searches at most a bounded number of cases per request, so a rare filter may need
 * several requests: each search keeps asking (a few times) until it has a page to show.
 */
export function setupArchiveTab(): { setShown(shown: boolean): void } {
  const numberForm = byId<HTMLFormElement>('archive-number-form');
  const numberInput = byId<HTMLInputElement>('archive-number');
  const form = byId<HTMLFormElement>('archive-query');
  const from = byId<HTMLInputElement>('archive-from');
  const to = byId<HTMLInputElement>('archive-to');
  const searchView = byId('archive-search');
  const caseView = byId('archive-case');
  const results = byId('archive-results');
  const body = byId('archive-body');
  const summary = byId('archive-summary');
  const more = byId<HTMLButtonElement>('archive-more');
  let started = false;
  let scrollBack = 0;
  /** The search on screen (its conditions) and where it continues (null: nothing more). */
  let current: { params: URLSearchParams; label: string; shown: number; next: string | null } | undefined;

  const range = lastDays(DEFAULT_DAYS);
  from.value = range.from;
  to.value = range.to;
  fillSelect(byId<HTMLSelectElement>('archive-state'), CASE_STATES.map((s) => ({ value: s, label: CASE_STATE_LABELS[s] })), '全部状态');

  const page = new ArchiveCasePage(caseView, () => {
    caseView.classList.add('hidden');
    searchView.classList.remove('hidden');
    window.scrollTo(0, scrollBack);
  });
  const openCase = async (caseId: string) => {
    try {
      await page.open(caseId);
    } catch (e) {
      toast(messageOf(e), 'error');
      return;
    }
    scrollBack = window.scrollY;
    searchView.classList.add('hidden');
    caseView.classList.remove('hidden');
    window.scrollTo(0, 0);
  };

  const lineRow = (c: ArchiveCaseLine) =>
    h(
      'tr',
      { 'data-case': c.id, className: 'clickable', title: '点击查看办件详情', onclick: () => void openCase(c.id) },
      // The button makes the row reachable by keyboard; its click reaches the row's handler.
      h('td', { className: 'nowrap' }, h('button', { type: 'button', className: 'as-link' }, c.number ?? '（无编号）')),
      h('td', {}, c.itemName),
      h('td', { className: 'nowrap' }, c.applicantName),
      h('td', {}, h('span', { className: `badge state-${c.state}` }, CASE_STATE_LABELS[c.state])),
      h('td', {}, c.clerkName ?? h('span', { className: 'muted' }, '—')),
      h('td', { className: 'nowrap' }, time(c.createdAt)),
      h('td', { className: 'nowrap' }, time(c.acceptedAt)),
      h('td', { className: 'nowrap' }, time(c.closedAt)),
    );

  /** Asks until a page is full or the search is exhausted (bounded); appends what it found. */
  const fetchMore = async (): Promise<ArchiveCaseLine[]> => {
    if (!current) return [];
    const found: ArchiveCaseLine[] = [];
    for (let i = 0; i < MAX_REQUESTS && found.length < PAGE_SIZE; i++) {
      const q = new URLSearchParams(current.params);
      q.set('limit', String(PAGE_SIZE - found.length));
      if (current.next) q.set('cursor', current.next);
      const answer = await adminApi<ArchiveSearchPage>('GET', `/api/admin/cases?${q.toString()}`);
      found.push(...answer.cases);
      current.next = answer.nextCursor;
      if (!current.next) break;
    }
    current.shown += found.length;
    body.append(...found.map(lineRow));
    if (current.shown === 0) body.replaceChildren(emptyRow(8, current.next ? '尚未找到符合条件的办件，可点击“继续查找”' : '没有符合条件的办件'));
    more.textContent = current.shown === 0 ? '继续查找' : '加载更多';
    more.classList.toggle('hidden', current.next === null);
    summary.textContent = `${current.label} · ${current.next ? `已显示 ${current.shown} 件，还有更多` : `共 ${current.shown} 件`}`;
    return found;
  };

  const search = async (params: URLSearchParams, label: string): Promise<ArchiveCaseLine[]> => {
    current = { params, label, shown: 0, next: null };
    body.replaceChildren();
    results.classList.remove('hidden');
    const found = await fetchMore();
    // Marked for tests and assistive tools: the table shows this search.
    results.dataset.shown = params.toString();
    return found;
  };

  onSubmit(numberForm, async () => {
    const number = numberInput.value.trim();
    check(CASE_NUMBER.test(number), '请输入完整的办件编号，如 341522-20261205-0001');
    const found = await search(new URLSearchParams({ number }), `办件编号 ${number}`);
    check(found.length > 0, `没有找到办件编号为 ${number} 的办件（或不属于您管理的地区）`);
    // A number names one case: open it straight away.
    if (found.length === 1) await openCase(found[0]!.id);
  });

  onSubmit(form, async () => {
    // A number that found nothing belongs to the search before this one.
    showFormError(numberForm, undefined);
    const problem = rangeProblem(from.value, to.value);
    check(problem === undefined, problem ?? '');
    const params = new URLSearchParams({ from: from.value, to: to.value });
    const chosen: string[] = [];
    for (const [name, id] of [['state', 'archive-state'], ['partnershipId', 'archive-partnership'], ['itemCode', 'archive-item'], ['hallId', 'archive-hall'], ['clerkId', 'archive-clerk']] as const) {
      const select = byId<HTMLSelectElement>(id);
      if (!select.value) continue;
      params.set(name, select.value);
      chosen.push(select.selectedOptions[0]?.textContent ?? select.value);
    }
    await search(params, [`${from.value} 至 ${to.value}`, ...chosen].join(' · '));
  });

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await fetchMore();
    } catch (e) {
      toast(messageOf(e), 'error');
    } finally {
      more.disabled = false;
    }
  });

  /** The choices of the form: only what this administrator may search. */
  const loadFilters = async () => {
    const f = await adminApi<ArchiveFilters>('GET', '/api/admin/cases/filters');
    fillSelect(byId<HTMLSelectElement>('archive-partnership'), f.partnerships.map((p) => ({ value: p.id, label: p.name })), '全部合作关系');
    fillSelect(byId<HTMLSelectElement>('archive-item'), f.items.map((i) => ({ value: i.code, label: i.name })), '全部事项');
    fillSelect(byId<HTMLSelectElement>('archive-hall'), f.halls.map((x) => ({ value: x.id, label: x.name })), '全部大厅');
    fillSelect(byId<HTMLSelectElement>('archive-clerk'), f.clerks.map((x) => ({ value: x.id, label: x.name })), '全部受理人员');
    byId('archive-none').classList.toggle('hidden', f.partnerships.length > 0);
  };

  return {
    setShown(shown) {
      if (!shown || started) return;
      started = true;
      // The latest cases first, as soon as the tab is opened.
      void loadFilters()
        .catch((e: unknown) => toast(`加载查询条件失败：${messageOf(e)}`, 'error'))
        .then(() => form.requestSubmit());
    },
  };
}
