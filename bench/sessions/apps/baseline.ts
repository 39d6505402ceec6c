/** The no-session baseline: the same routes, over one shared object instead of a session. */
import { serveApp } from '../app-child.ts';
import { createApp, seedItems } from '../express-app.ts';

const shared: Record<string, unknown> = {};
seedItems(shared, 0, 0);

await serveApp(createApp(undefined, () => shared));
