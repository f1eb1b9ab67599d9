import { ClusterFeed } from './cluster-feed';
import { DashboardPage } from './dashboard-page';

// The page sits at /dashboard/ of the node manager; its API is /cluster beside it.
const managerBase = new URL('../', window.location.href);
new ClusterFeed(managerBase, new DashboardPage()).start();
