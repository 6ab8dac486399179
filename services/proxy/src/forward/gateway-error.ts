import type { ServerResponse } from 'node:http';
import { sendError } from '../http/error-response.js';

/** Answers `status` (502/504) with a JSON body naming the pool and endpoint, or cuts the response if it already started. */
export function gatewayError(res: ServerResponse, status: number, pool: string, upstream: string, message: string): void {
  sendError(res, status, 'GRAYLANE_UNAVAILABLE', message, { pool, upstream });
}
