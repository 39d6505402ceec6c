/**
 * Where Service Center is served on every front-end server: `/servicecenter/`.
 * Service Center itself is not there yet; until it is, this place says so and
 * names the commands that do its work today.
 */
import type { RequestListener } from 'node:http';
import type { Logger } from './logger.ts';

export const SERVICE_CENTER_PATH = '/servicecenter/';

export function mountsServiceCenter(path: string): boolean {
  return path === '/servicecenter' || path.startsWith(SERVICE_CENTER_PATH);
}

export function serviceCenterListener(_context: {
  readonly frontend: string;
  readonly log: Logger;
}): RequestListener {
  return (req, res) => {
    if (req.url === '/servicecenter') {
      res.writeHead(308, { location: SERVICE_CENTER_PATH });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      'Service Center will be served here.\n\n' +
        'Until then, from a shell on any front-end server:\n' +
        '  tessera module publish <folder|file.tgz>   publish a module version to every front-end server\n' +
        '  tessera module list                       modules, versions and what each front-end runs\n' +
        '  tessera module apply-settings --all       Apply Settings\n' +
        '  tessera module republish --all            Republish\n',
    );
  };
}
