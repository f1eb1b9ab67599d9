import { AdminRoutes } from '@live-im/health';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type AppListeners, guardListeners, listenApp } from './listeners';

@Controller()
class PublicController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }
}

@AdminRoutes()
@Controller('ops')
class OpsController {
  @Get()
  ops(): string {
    return 'ops';
  }
}

@Module({ controllers: [PublicController, OpsController] })
class TwoSidedModule {}

describe('listenApp', () => {
  const apps: Array<{ app: INestApplication; closeAdmin: () => Promise<void> }> = [];

  async function start(listeners: AppListeners) {
    const app = await NestFactory.create(TwoSidedModule, { logger: false });
    guardListeners(app, listeners);
    const started = await listenApp(app, listeners);
    apps.push({ app, closeAdmin: started.closeAdmin });
    return started.ports;
  }

  async function get(port: number, path: string): Promise<[number, string]> {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return [res.status, await res.text()];
  }

  afterAll(async () => {
    for (const { app, closeAdmin } of apps) {
      await app.close();
      await closeAdmin();
    }
  });

  it('with a public listener, serves admin routes on the admin port only and the rest on the public one only', async () => {
    const ports = await start({
      public: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
    });
    expect(ports.public).toBeDefined();
    expect(ports.admin).not.toBe(ports.public);
    const publicPort = ports.public ?? 0;
    expect(await get(publicPort, '/hello')).toEqual([200, 'hello']);
    expect(await get(ports.admin, '/ops')).toEqual([200, 'ops']);
    // Each listener answers the other's routes exactly as a path with no route.
    const noRoute = await get(publicPort, '/nothing');
    expect(noRoute[0]).toBe(404);
    const [status, body] = await get(publicPort, '/ops');
    expect([status, JSON.parse(body)]).toEqual([
      404,
      { ...JSON.parse(noRoute[1]), message: 'Cannot GET /ops' },
    ]);
    expect((await get(publicPort, '/ops/')).at(0)).toBe(404);
    expect((await get(ports.admin, '/hello')).at(0)).toBe(404);
    expect(await get(ports.admin, '/ops/')).toEqual([200, 'ops']);
    expect(await get(ports.admin, '/ops?verbose=1')).toEqual([200, 'ops']);
    expect((await get(ports.admin, '/nothing')).at(0)).toBe(404);
  });

  it('without one, the admin listener is the app’s only listener and serves every route', async () => {
    const ports = await start({ admin: { host: '127.0.0.1', port: 0 } });
    expect(ports.public).toBeUndefined();
    expect(await get(ports.admin, '/ops')).toEqual([200, 'ops']);
    expect(await get(ports.admin, '/hello')).toEqual([200, 'hello']);
  });

  it('refuses to start when the admin port is taken', async () => {
    const taken = await start({ admin: { host: '127.0.0.1', port: 0 } });
    const app = await NestFactory.create(TwoSidedModule, { logger: false });
    const listeners = {
      public: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: taken.admin },
    };
    guardListeners(app, listeners);
    await expect(listenApp(app, listeners)).rejects.toThrow(/EADDRINUSE/);
    await app.close();
  });
});
