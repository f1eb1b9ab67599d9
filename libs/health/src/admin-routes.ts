import { SetMetadata } from '@nestjs/common';

export const ADMIN_ROUTES = Symbol('ADMIN_ROUTES');

/**
 * Marks a controller as operational (probes, metrics, operator tools): an app with a public
 * listener serves it on its admin listener only, and its public listener answers 404 as for no route.
 */
export const AdminRoutes = (): ClassDecorator => SetMetadata(ADMIN_ROUTES, true);
