import type { Router } from 'express';
import type { Auth } from './auth.ts';

/** What a subsystem's routes() gets from server/http/app.ts: where to mount its routes and the guards. */
export interface HttpMount {
  /** Mounted at /v1 after JSON body parsing; apply auth.admin, auth.reader or auth.require(scope) per route. */
  v1: Router;
  /** Mounted at / (for routes outside /v1, such as the console). */
  root: Router;
  auth: Auth;
}
