import { ApiError } from '../auth/ApiError';
import { requireSignedIn } from '../auth/requireSignedIn';
import { signOut } from '../auth/signOut';
import { STATE_LABELS } from '../ui/caseView';
import { byId } from '../ui/dom';
import { PlaybackClock } from './PlaybackClock';
import { loadCaseRecordings, segmentStart, SOURCE_ORDER, type CaseRecordings, type SegmentInfo } from './recordingData';
import { TimelineBar } from './TimelineBar';
import { formatClock, formatDateTime, formatWallTime } from './timeFormat';
import { TrackPlayer } from './TrackPlayer';

/** What the page shows instead of the player, by what went wrong. */
type Problem = 'forbidden' | 'none' | 'expired' | 'not_found' | 'bad_link' | 'failed';

const PROBLEM_TITLES: Record<Problem, string> = {
  forbidden: '无权查看',
  none: '本案件没有录像',
  expired: '录像已过保存期限',
  not_found: '没有找到该办件',
  bad_link: '回放地址不完整',
  failed: '录像暂时无法加载',
};

/** The state of the player, for the end-to-end tests (window.rvw.player). */
export interface PlayerSnapshot {
  playing: boolean;
  /** ms on the common timeline. */
  position: number;
  duration: number;
  large: string | null;
  tracks: { source: string; kind: string; position: number | null; paused: boolean; ended: boolean; held: boolean; currentTime: number; fileDuration: number; videoWidth: number; readyState: number }[];
}

/**
 * 录像回放 (recording.html?case=<id or 办件编号>): every recorded track of the case's call on one
 * timeline placed by each segment's first packet, one play/pause and seek driving all of them,
 * the case's markers and the stretches not recorded on the bar. Read-only; the server decides who
 * may see it (policy recording.view) and audits the viewing.
 */
export class PlaybackPage {
  #clock: PlaybackClock | undefined;
  #players: TrackPlayer[] = [];
  #bar: TimelineBar | undefined;
  #large: TrackPlayer | undefined;

  /** Read-only view of the player for tests and the console. */
  get debugHandle(): { player: { snapshot(): PlayerSnapshot | null } } {
    return { player: { snapshot: () => this.#snapshot() } };
  }

  async start(): Promise<void> {
    const me = await requireSignedIn();
    byId('me').textContent = me.kind === 'staff' ? `${me.name} · ${me.role === 'admin' ? '管理员' : '工作人员'}` : me.name;
    byId('logout').addEventListener('click', (e) => {
      e.preventDefault();
      void signOut();
    });
    const caseRef = new URLSearchParams(location.search).get('case')?.trim() ?? '';
    if (!caseRef) return this.#fail('bad_link', '请从工作台或管理后台的“录像回放”进入，或在地址中带上办件编号。');
    let data: CaseRecordings;
    try {
      data = await loadCaseRecordings(caseRef);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return void (await requireSignedIn());
      if (e instanceof ApiError && e.code === 'FORBIDDEN') return this.#fail('forbidden', e.message);
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return this.#fail('not_found', e.message);
      return this.#fail('failed', e instanceof ApiError ? e.message : '请稍后刷新重试。');
    }
    this.#render(data);
  }

  #fail(problem: Problem, text: string): void {
    byId('loading').classList.add('hidden');
    byId('problem-title').textContent = PROBLEM_TITLES[problem];
    byId('problem-text').textContent = text;
    byId('problem').dataset.problem = problem;
    byId('problem').classList.remove('hidden');
    document.body.dataset.ready = 'true';
  }

  #render(data: CaseRecordings): void {
    const label = data.case.number ?? data.caseId;
    document.title = `录像回放 ${label} · 跨域通办远程虚拟窗口`;
    if (data.segments.length === 0) return this.#fail('none', `办件 ${label}（${data.case.itemName}）没有录音录像。`);
    const expired = new Set(data.expired);
    const playable = data.segments.filter((s) => !expired.has(s.sha256));
    if (playable.length === 0) {
      return this.#fail('expired', `办件 ${label} 的录像已超过保存期限，已按规定删除。每段录像的哈希值仍保留在办件的审计记录中。`);
    }

    const origin = Math.min(...playable.map(segmentStart));
    const end = Math.max(...playable.map((s) => s.endedAt));
    const clock = (this.#clock = new PlaybackClock({ duration: end - origin }));

    byId('case-number').textContent = label;
    byId('case-item').textContent = data.case.itemName;
    byId('case-accepted').textContent = data.case.acceptedAt ? formatDateTime(Date.parse(data.case.acceptedAt)) : '—';
    byId('rec-span').textContent = `${formatDateTime(origin)} – ${formatWallTime(end)}（${formatClock(end - origin)}）${data.case.closedAt ? ` · ${STATE_LABELS[data.case.state] ?? data.case.state}` : ''}`;

    const bySource = new Map<string, SegmentInfo[]>();
    for (const s of playable) bySource.set(s.source, [...(bySource.get(s.source) ?? []), s]);
    const rank = (source: string) => (SOURCE_ORDER.indexOf(source) + SOURCE_ORDER.length + 1) % (SOURCE_ORDER.length + 1);
    this.#players = [...bySource.entries()]
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([source, segments]) => new TrackPlayer({ caseId: data.caseId, source, kind: segments[0]!.kind, segments, origin }));

    const stage = byId('tiles');
    const audio = byId('audio-list');
    for (const p of this.#players) {
      if (p.kind === 'audio') {
        audio.append(p.element, p.media);
        continue;
      }
      stage.append(p.element);
      p.element.addEventListener('click', () => this.#enlarge(p));
      p.element.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.#enlarge(p);
        }
      });
    }
    const firstVideo = this.#players.find((p) => p.kind === 'video');
    if (firstVideo) this.#enlarge(firstVideo);

    const seek = (offset: number) => {
      clock.seek(offset);
      this.#tick();
    };
    this.#bar = new TimelineBar({
      bar: byId('timeline'),
      progress: byId('timeline-progress'),
      markerLayer: byId('timeline-markers'),
      gapLayer: byId('timeline-gaps'),
      markerList: byId('marker-list'),
      duration: clock.duration,
      markers: data.markers.map((m) => ({ ...m, offset: Math.min(Math.max(0, m.at - origin), clock.duration) })),
      gaps: data.gaps.map((g) => ({ from: g.from - origin, to: g.to - origin })),
      onSeek: seek,
    });

    const notes: string[] = [];
    if (data.gaps.length > 0) notes.push(`灰色斜纹为未录制的时段（共 ${data.gaps.length} 处）。`);
    if (playable.length < data.segments.length) notes.push(`另有 ${data.segments.length - playable.length} 段录像已超过保存期限被删除。`);
    if (data.markers.some((m) => m.at < origin)) notes.push('录像开始前的节点显示在时间轴起点。');
    byId('notes').textContent = notes.join(' ');

    const button = byId<HTMLButtonElement>('btn-play');
    button.addEventListener('click', () => {
      if (clock.playing) clock.pause();
      else clock.play(performance.now());
      this.#tick();
    });

    byId('loading').classList.add('hidden');
    byId('player').classList.remove('hidden');
    this.#tick();
    // The media elements follow the clock on every frame (and at least 4× a second when the tab is hidden).
    const loop = () => {
      this.#tick();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    setInterval(() => this.#tick(), 250);
    document.body.dataset.ready = 'true';
  }

  #enlarge(player: TrackPlayer): void {
    this.#large?.element.classList.remove('large');
    this.#large = player;
    // The grid puts the .large tile in the big cell; the element is not moved (a moved video reloads).
    player.element.classList.add('large');
    byId('tiles').dataset.large = player.source;
  }

  #tick(): void {
    const clock = this.#clock;
    if (!clock) return;
    clock.tick(performance.now(), this.#players.some((p) => p.held));
    for (const p of this.#players) p.sync(clock.position, clock.playing, clock.position >= clock.duration);
    this.#bar?.show(clock.position);
    byId('clock').textContent = `${formatClock(clock.position)} / ${formatClock(clock.duration)}`;
    const button = byId<HTMLButtonElement>('btn-play');
    const text = clock.playing ? '暂停' : '播放';
    if (button.textContent !== text) button.textContent = text;
    button.dataset.playing = String(clock.playing);
  }

  #snapshot(): PlayerSnapshot | null {
    const clock = this.#clock;
    if (!clock) return null;
    return {
      playing: clock.playing,
      position: clock.position,
      duration: clock.duration,
      large: this.#large?.source ?? null,
      tracks: this.#players.map((p) => ({
        source: p.source,
        kind: p.kind,
        position: p.position,
        paused: p.media.paused,
        ended: p.media.ended,
        held: p.held,
        currentTime: p.media.currentTime,
        fileDuration: p.media.duration,
        videoWidth: p.media instanceof HTMLVideoElement ? p.media.videoWidth : 0,
        readyState: p.media.readyState,
      })),
    };
  }
}
