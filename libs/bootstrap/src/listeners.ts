import {
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { ADMIN_ROUTES } from '@live-im/health';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where one HTTP listener binds. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface AppListeners {
  /** Probes, metrics and operator tools: reachable from inside the deployment only. */
  admin: ListenAddress;
  /** The public API, Socket.IO and the page (the gateway); absent for apps with nothing public. */
  public?: ListenAddress;
}

/** The ports an app ended up on (useful when 0 asked the OS for a free one). */
export interface BoundPorts {
  admin: number;
  public?: number;
}

/** Requests that arrived on an admin listener beside a public one. */
const adminRequests = new WeakSet<IncomingMessage>();

/**
 * With two listeners on one app, a route is served on one of them only: @AdminRoutes controllers on
 * the admin listener, every other route on the public one. The other listener answers the same 404
 * as for a path no route matches, so the public side does not even reveal that /metrics exists.
 */
@Injectable()
export class ListenerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IncomingMessage & { originalUrl?: string }>();
    const adminRoute = this.reflector.get<boolean | undefined>(ADMIN_ROUTES, context.getClass()) === true;
    if (adminRoute === adminRequests.has(request)) return true;
    throw new NotFoundException(
      `Cannot ${request.method ?? 'GET'} ${request.originalUrl ?? request.url ?? '/'}`,
    );
  }
}

/**
 * Call before any route is added (before `configure`): with a public listener, the guard that keeps
 * each route on its own listener.
 */
export function guardListeners(app: INestApplication, listeners: AppListeners): void {
  if (listeners.public) app.useGlobalGuards(new ListenerGuard(app.get(Reflector)));
}

/** Route paths as one regular expression each: `:name` segments match one segment. */
function pathPattern(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+');
  return new RegExp(`^${escaped}/?$`);
}

function pathsOf(metadata: unknown): string[] {
  const paths = Array.isArray(metadata) ? metadata : [metadata ?? ''];
  return paths.filter((path): path is string => typeof path === 'string');
}

/** Every path an @AdminRoutes controller of the app answers, read once its routes are registered. */
function adminRoutePatterns(app: INestApplication): RegExp[] {
  const scanner = new MetadataScanner();
  const patterns: RegExp[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype;
      if (typeof type !== 'function' || Reflect.getMetadata(ADMIN_ROUTES, type) !== true) continue;
      const prototype = type.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function' || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
        for (const base of pathsOf(Reflect.getMetadata(PATH_METADATA, type))) {
          for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
            const joined = `/${base}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
            patterns.push(pathPattern(joined));
          }
        }
      }
    }
  }
  return patterns;
}

/**
 * Starts the app's HTTP listeners. Without a public one, the app's own server is the admin
 * listener (everything it serves is operational). With one, the app's server (which Socket.IO
 * attaches to) is the public listener, and a second server on the admin address hands the
 * requests for an @AdminRoutes route, marked, to the same Express app and answers every other
 * request 404 itself, so the public side's pages and mounts are not served there either. Returns a
 * function that closes the admin server.
 */
export async function listenApp(
  app: INestApplication,
  listeners: AppListeners,
): Promise<{ ports: BoundPorts; closeAdmin: () => Promise<void> }> {
  if (!listeners.public) {
    await app.listen(listeners.admin.port, listeners.admin.host);
    return { ports: { admin: portOf(app.getHttpServer() as Server) }, closeAdmin: () => Promise.resolve() };
  }
  await app.listen(listeners.public.port, listeners.public.host);
  const express = app.getHttpAdapter().getInstance() as RequestListener;
  const adminRoutes = adminRoutePatterns(app);
  const admin = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (!adminRoutes.some((pattern) => pattern.test(path))) {
      response.statusCode = 404;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end(
        JSON.stringify({
          message: `Cannot ${request.method ?? 'GET'} ${path}`,
          error: 'Not Found',
          statusCode: 404,
        }),
      );
      return;
    }
    adminRequests.add(request);
    express(request, response);
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    admin.once('error', rejectListen);
    admin.listen(listeners.admin.port, listeners.admin.host, () => {
      admin.off('error', rejectListen);
      resolveListen();
    });
  });
  return {
    ports: { admin: portOf(admin), public: portOf(app.getHttpServer() as Server) },
    closeAdmin: () =>
      new Promise<void>((resolveClose) => {
        admin.close(() => resolveClose());
        admin.closeAllConnections();
      }),
  };
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
