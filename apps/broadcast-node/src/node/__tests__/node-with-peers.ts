import { Push, Subscriber } from 'zeromq';
import { collect } from '../../__tests__/wait-for';
import { BroadcastNode, type BroadcastNodeOptions } from '../broadcast-node';

/** A started node on loopback with a PUSH publisher and a SUB subscriber connected to it. */
export interface NodeWithPeers {
  node: BroadcastNode;
  push: Push;
  sub: Subscriber;
  /** Every message the subscriber has read, in order. */
  received: Buffer[][];
}

export async function startNodeWithPeers(
  nodeId: string,
  options: Partial<BroadcastNodeOptions> = {},
): Promise<NodeWithPeers> {
  const node = new BroadcastNode({
    nodeId,
    pullBind: 'tcp://127.0.0.1:0',
    pubBind: 'tcp://127.0.0.1:0',
    windowMs: 10,
    ...options,
  });
  await node.start();
  const push = new Push({ linger: 0 });
  push.connect(node.pullEndpoint!);
  const sub = new Subscriber({ linger: 0 });
  sub.connect(node.pubEndpoint!);
  const received: Buffer[][] = [];
  void collect(sub, received);
  return { node, push, sub, received };
}

export async function closeNodeWithPeers({ node, push, sub }: NodeWithPeers): Promise<void> {
  push.close();
  sub.close();
  await node.close();
}
