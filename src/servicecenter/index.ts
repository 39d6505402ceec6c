/**
 * Service Center: the console of the farm. One service layer (`ServiceCenter`)
 * reached three ways: the web console and the JSON API (`createServiceCenterListener`,
 * mounted by every front-end server at `/servicecenter/`) and the `tessera`
 * commands (`registerServiceCenterCommands`, `registerModuleCommands`). See docs/service-center.md.
 */
export { registerServiceCenterCommands } from './commands.ts';
export {
  createServiceCenterListener,
  SESSION_COOKIE,
  type ServiceCenterListener,
  type ServiceCenterListenerOptions,
} from './console/listener.ts';
export { describeError } from './console/requests.ts';
export { type RouteInfo, SERVICE_CENTER_BASE } from './console/routes.ts';
export {
  SERVICE_CENTER_ERROR_CODES,
  ServiceCenterError,
  type ServiceCenterErrorCode,
} from './errors.ts';
export type { Deployment, FactoryView, ModuleOnFrontend, ModuleView } from './factory-view.ts';
export {
  driftOf,
  FARM_VIEW_DEFAULTS,
  type FarmView,
  type FrontendNotes,
  type FrontendView,
  farmView,
} from './farm-view.ts';
export {
  LOGIN_THROTTLE_DEFAULTS,
  LoginThrottle,
  type LoginThrottleOptions,
  loginWaitMs,
} from './login-throttle.ts';
export { registerModuleCommands } from './module-commands.ts';
export { OPERATION_LABELS, type OperationStepView, type OperationView } from './operation-view.ts';
export {
  type FrontendOutcome,
  OPERATIONS_DEFAULTS,
  type OperationOutcome,
  type OperationStarted,
  OperationsService,
  type PublishStarted,
} from './operations-service.ts';
export {
  type Actor,
  type Attention,
  type ModuleOperations,
  type OperationStarter,
  operationsStarter,
  ServiceCenter,
  type SolutionView,
} from './service-center.ts';
export {
  addUser,
  ensureFirstAdministrator,
  FIRST_ADMINISTRATOR,
  removeUser,
  resetPassword,
  SERVICE_CENTER_ROLES,
} from './users.ts';
