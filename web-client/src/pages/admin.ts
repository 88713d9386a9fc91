import { AdminData } from '../admin/AdminData';
import { setupArchiveTab } from '../admin/archiveTab';
import { messageOf } from '../admin/forms';
import { setupHallsTab } from '../admin/hallsTab';
import { setupItemsTab } from '../admin/itemsTab';
import { ANY_REGION } from '../admin/labels';
import { setupPartnershipsTab } from '../admin/partnershipsTab';
import { setupRegionsTab } from '../admin/regionsTab';
import { setupStaffTab } from '../admin/staffTab';
import { setupStatsTab } from '../admin/statsTab';
import { setupTabs } from '../admin/tabs';
import { requireSignedIn } from '../auth/requireSignedIn';
import { signOut } from '../auth/signOut';
import { byId, toast } from '../ui/dom';

// The administration page: catalogue (regions, halls and counters, items, partnerships), counter
// terminals, staff, statistics and the case archive. Every tab reads the shared AdminData and writes through the admin API.
async function main(): Promise<void> {
  const me = await requireSignedIn('admin');
  if (me.kind !== 'staff' || me.role !== 'admin') return; // requireSignedIn already redirected
  const scope = me.regionCodes.includes(ANY_REGION) ? '全部地区' : `${me.regionCodes.length} 个地区`;
  byId('me').textContent = `${me.name} · 管理员（${scope}）`;
  byId('logout').addEventListener('click', (e) => {
    e.preventDefault();
    void signOut();
  });

  const data = new AdminData();
  const stats = setupStatsTab(data);
  const archive = setupArchiveTab();
  setupTabs((tab) => {
    stats.setShown(tab === 'stats');
    archive.setShown(tab === 'archive');
  });
  setupRegionsTab(data);
  setupHallsTab(data);
  setupItemsTab(data);
  setupPartnershipsTab(data);
  setupStaffTab(data, me);
  try {
    await data.refresh();
  } catch (e) {
    toast(`加载数据失败：${messageOf(e)}`, 'error');
  }
  byId('app').classList.remove('hidden');
  // Shown (and marked ready for tests) only once the first data arrived, so nothing half-filled is clicked.
  document.body.dataset.ready = 'true';
}

void main();
