/** One Redis Cluster node as given in the configuration. */
export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** Where an app's Redis is: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'cluster';
      nodes: ClusterNodeAddress[];
      username?: string;
      password?: string;
      tls: boolean;
    };

/**
 * Parses REDIS_CLUSTER_NODES: `host:port,host:port` or `redis[s]://[user:password@]host:port,...`
 * (the credentials and TLS apply to every node). Returns the target, or why the value is wrong.
 */
export function parseClusterNodes(value: string): Extract<RedisTarget, { kind: 'cluster' }> | string {
  let rest = value.trim();
  let tls = false;
  let username: string | undefined;
  let password: string | undefined;
  const scheme = /^(rediss?):\/\//.exec(rest);
  if (scheme) {
    tls = scheme[1] === 'rediss';
    rest = rest.slice(scheme[0].length);
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      const [user = '', pass] = rest.slice(0, at).split(/:(.*)/s);
      username = user === '' ? undefined : decodeURIComponent(user);
      password = pass === undefined ? undefined : decodeURIComponent(pass);
      rest = rest.slice(at + 1);
    }
  } else if (rest.includes('://')) {
    return 'must be host:port,... or a redis:// or rediss:// list';
  }
  const nodes: ClusterNodeAddress[] = [];
  for (const entry of rest.split(',')) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port >= 1 && port <= 65_535)) return `"${entry}" is not host:port`;
    nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return { kind: 'cluster', nodes, username, password, tls };
}

/** The target for logs: nodes or URL without credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'cluster') {
    return `Redis Cluster (seeds ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')})`;
  }
  return `Redis ${target.url.replace(/\/\/[^@/]*@/, '//')}`;
}
