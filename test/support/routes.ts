// Reads the routes a router registers straight from Express 5's router stack, so that a test
// walking them also covers any route added later.
import type { Router } from 'express';

export interface RegisteredRoute {
  /** The path as registered, relative to where the router is mounted, e.g. `/:domain/dns-check`. */
  path: string;
  /** Upper-case methods; a route registered with `all` lists the common ones. */
  methods: string[];
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: string;
  path?: string;
}

const ALL = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function registeredRoutes(router: Router, prefix = ''): RegisteredRoute[] {
  const found: RegisteredRoute[] = [];
  for (const layer of (router as unknown as { stack: LayerLike[] }).stack) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m]);
      const upper = methods.includes('_all') ? ALL : methods.map((m) => m.toUpperCase());
      for (const path of ([] as string[]).concat(layer.route.path)) found.push({ path: prefix + path, methods: upper });
    } else if (Array.isArray(layer.handle?.stack)) {
      // A router mounted inside the router.
      found.push(...registeredRoutes(layer.handle as unknown as Router, prefix + (layer.rawPath ?? layer.path ?? '')));
    }
  }
  return found;
}

/** A request path for a registered route: every parameter filled with `value`. */
export function concretePath(path: string, value = 'example.org'): string {
  return path
    .replace(/[{}]/g, '')
    .replace(/:(\w+)/g, encodeURIComponent(value))
    .replace(/\*(\w+)/g, 'x');
}
