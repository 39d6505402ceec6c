/** Service Center's service layer: what its API, its pages and the `tessera module` commands call. */
export {
  type FrontendOutcome,
  type ModuleListing,
  type OperationOutcome,
  OPERATIONS_DEFAULTS,
  type OperationStarted,
  OperationsService,
  type PublishStarted,
} from './operations-service.ts';
