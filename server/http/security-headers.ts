import type { NextFunction, Request, Response } from 'express';

/**
 * The console's policy: its own scripts, styles, images and connections only; no inline script or
 * style, no plugins, no framing. Console code sets styles through classes or `el.style`, never a
 * `style="..."` attribute or an `on*=` handler (docs/security.md).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * For bytes a webhook sender chose (raw bodies): never rendered as a page of the console's origin,
 * whatever their type claims. `sandbox` gives them an opaque origin with scripts off even if a browser
 * shows them; `attachment` makes navigation download them.
 */
export const UNTRUSTED_CONTENT_CSP = "sandbox; default-src 'none'";

/** Security headers on every response, console and API alike (issue 14 item 11). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

export function securityHeaders() {
  return function setSecurityHeaders(_req: Request, res: Response, next: NextFunction) {
    for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]);
    next();
  };
}

/** Headers for a response whose body is untrusted bytes with their original content type. */
export function sendUntrusted(res: Response, contentType: string, bytes: Buffer | string, filename: string): void {
  res.setHeader('content-security-policy', UNTRUSTED_CONTENT_CSP);
  res.setHeader('content-disposition', `attachment; filename="${filename.replaceAll(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-hookrelay-content-type', contentType);
  res.type(contentType).send(bytes);
}
