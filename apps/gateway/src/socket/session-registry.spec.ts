import { SessionRegistry } from './session-registry';
import type { SocketSession } from './socket-session';

/** The registry reads only a session's socket id and user id. */
function session(id: string, userId: string): SocketSession {
  return { id, userId } as unknown as SocketSession;
}

describe('SessionRegistry', () => {
  it("finds a user's sessions, one or several, and forgets them as they go", () => {
    const registry = new SessionRegistry();
    const a1 = session('s1', 'u_a');
    const a2 = session('s2', 'u_a');
    const b = session('s3', 'u_b');
    registry.add(a1);
    registry.add(b);
    expect([...registry.sessionsOf('u_a')]).toEqual([a1]);
    registry.add(a2);
    registry.add(a2);
    expect([...registry.sessionsOf('u_a')]).toEqual([a1, a2]);
    registry.remove(a1);
    expect([...registry.sessionsOf('u_a')]).toEqual([a2]);
    registry.remove(a1);
    expect([...registry.sessionsOf('u_a')]).toEqual([a2]);
    registry.remove(a2);
    expect(registry.sessionsOf('u_a').size).toBe(0);
    expect([...registry.sessionsOf('u_b')]).toEqual([b]);
    expect(registry.size).toBe(1);
    expect([...registry.all()]).toEqual([b]);
    registry.add(a1);
    registry.add(a2);
    expect(registry.size).toBe(3);
    expect([...registry.all()]).toEqual([b, a1, a2]);
  });
});
