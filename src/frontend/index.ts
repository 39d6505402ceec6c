/** The front-end server: supervisor, workers, deployment agent (see docs/frontend-server.md). */
export { DEPLOYMENT_AGENT_DEFAULTS } from './deployment-agent.ts';
export { FRONTEND_ERROR_CODES, FrontendError, type FrontendErrorCode } from './errors.ts';
export {
  FRONTEND_SERVER_DEFAULTS,
  type FrontendServer,
  type FrontendServerOptions,
  serviceCenterUrl,
  startFrontendServer,
} from './frontend-server.ts';
export { HEALTH_PATH, type HealthReport } from './health.ts';
export { SUPERVISOR_DEFAULTS } from './supervisor.ts';
