import { h, PEER_ID_KEY, tabPeerId } from './dom';

/**
 * After the node that served this page died, the socket (and the call) moved to another node of
 * the region, but the page's own address — where previews, prints and uploads go — is that dead
 * node's. Behind a region's load balancer the address stays alive and nothing shows; with nodes
 * addressed one by one the page says so and offers to reopen itself on the live node.
 */
export function showNodeMoved(socketUrl: string, caseId: string | undefined): void {
  const live = new URL(socketUrl);
  const liveOrigin = `${live.protocol === 'wss:' ? 'https:' : 'http:'}//${live.host}`;
  document.getElementById('node-moved')?.remove();
  if (liveOrigin === location.origin) return;
  // The tab's peer id goes along (storage is per origin): the reopened page is the same peer to the
  // call, not a second one while the first waits out its grace period.
  const resume = caseId ? `#${new URLSearchParams({ resume: caseId, peer: tabPeerId() }).toString()}` : '';
  const banner = h(
    'div',
    { id: 'node-moved', className: 'node-moved', role: 'alert' },
    h('span', {}, '原服务节点已停止，连接已自动切换到本地区另一节点，视频通话继续。预览、打印文书和上传材料前，请在新节点重新打开本页（通话会自动恢复）。'),
    h('a', { id: 'node-moved-open', className: 'button', href: `${liveOrigin}${location.pathname}${resume}` }, '在新节点打开'),
  );
  document.body.prepend(banner);
}

/**
 * True once {@link showNodeMoved} said this page's own node is gone: its HTTP requests would go
 * to the dead address (and fail in the console), so lists that refresh by themselves wait for
 * the page to be reopened on the live node.
 */
export function pageNodeGone(): boolean {
  return document.getElementById('node-moved') !== null;
}

/**
 * The case a page reopened from {@link showNodeMoved}'s link takes back (its call, its view), once;
 * the tab keeps the peer id it had on the dead node. Call before the page joins any media. The
 * hash is cleared so a later reload starts fresh.
 */
export function takeResumedCase(): string | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const caseId = params.get('resume');
  if (!caseId) return undefined;
  const peer = params.get('peer');
  if (peer && /^[0-9a-f-]{36}$/.test(peer)) sessionStorage.setItem(PEER_ID_KEY, peer);
  history.replaceState(null, '', location.pathname + location.search);
  return caseId;
}
