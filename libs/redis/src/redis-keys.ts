/**
 * Builds every Redis key of the app under one prefix, so several deployments (or test runs) can
 * share a Redis without touching each other's data.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** A key whose slot follows `tag` on Redis Cluster: `{tag}` groups a room's keys on one node. */
  tagged(tag: string, ...parts: string[]): string {
    return `${this.prefix}{${tag}}:${parts.join(':')}`;
  }
}
