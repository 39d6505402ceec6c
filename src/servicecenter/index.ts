/** Service Center's service layer: what its API, its pages and the `tessera module` commands call. */
export {
  type FrontendOutcome,
  type ModuleListing,
  OPERATIONS_DEFAULTS,
  type OperationOutcome,
  type OperationStarted,
  OperationsService,
  type PublishStarted,
} from './operations-service.ts';
