import type { RegionNodeWire } from '@rvw/protocol/responses';
import { homeRegionOf } from '../../auth/policy.js';
import type { Handler } from '../handlerTypes.js';

/** Options for {@link clusterHandlers}. */
export interface ClusterHandlerDeps {
  /** The live nodes serving a region, least loaded first (the node registry). */
  regionNodes: (regionCode: string) => Promise<RegionNodeWire[]>;
  /** This node, as its clients reach it: the answer for a principal without a home region. */
  self: RegionNodeWire;
}

/** `cluster.nodes`: where a client goes when its node fails (the nodes of its own region). */
export function clusterHandlers(deps: ClusterHandlerDeps): { 'cluster.nodes': Handler<'cluster.nodes'> } {
  return {
    'cluster.nodes': async (conn) => {
      const region = homeRegionOf(conn.principal);
      // Administrators have no media to move: this node is all they need.
      if (region === undefined) return { nodes: [deps.self] };
      const nodes = await deps.regionNodes(region);
      return { nodes: nodes.length ? nodes : [deps.self] };
    },
  };
}
