// The dashboard's static files: a fixed folder, a few content types, nothing outside the folder.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { DrsndError, ErrorCodes } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.ico': 'image/x-icon',
};

export async function serveStatic(dir: string, pathname: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  const file = path.resolve(dir, rel);
  const type = TYPES[path.extname(file)];
  if (!file.startsWith(path.resolve(dir) + path.sep) || type === undefined) {
    throw new DrsndError(ErrorCodes.NOT_FOUND, `no such resource: ${pathname}`);
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new DrsndError(ErrorCodes.NOT_FOUND, `no such resource: ${pathname}`);
  }
  // no-cache: the browser revalidates, so an upgraded daemon's dashboard is never mixed with an old one.
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
