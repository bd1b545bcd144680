/** REST answers every AppError with the error's own httpStatus and code: one source of truth. */
import * as errors from '../../src/errors';
import { DomainGraphQLError } from '../../src/graphql/errors';
import { restErrorResponse } from '../../src/rest';

const examples: Record<string, () => errors.AppError> = {
  ValidationError: () => new errors.ValidationError('name', 'bad name'),
  NotFoundError: () => new errors.NotFoundError('no such secret'),
  NameTakenError: () => new errors.NameTakenError('k'),
  VersionConflictError: () => new errors.VersionConflictError(1, 2),
  ForbiddenError: () => new errors.ForbiddenError('no'),
  KeyServiceUnavailableError: () => new errors.KeyServiceUnavailableError('down'),
  AuditUnavailableError: () => new errors.AuditUnavailableError('audit down'),
  SecretExpiredError: () => new errors.SecretExpiredError('k', new Date(0)),
  LimitExceededError: () => new errors.LimitExceededError('body', 1, 'LOCKSMITH_MAX_BODY_BYTES', 'too big', 413),
  RateLimitedError: () => new errors.RateLimitedError(3, 'requests'),
  BadRequestError: () => new errors.BadRequestError('not JSON'),
};

const appErrorClasses = Object.entries(errors).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof errors.AppError,
) as Array<[string, new (...args: never[]) => errors.AppError]>;

it('every AppError subclass has an example here (a new one must be added)', () => {
  expect(appErrorClasses.map(([name]) => name).sort()).toEqual(Object.keys(examples).sort());
});

it.each(Object.entries(examples))('%s: REST status is its httpStatus, code its code', async (_name, make) => {
  const error = make();
  const response = restErrorResponse([new DomainGraphQLError(error)]);
  expect(response.status).toBe(error.httpStatus);
  const body = (await response.json()) as { errors: Array<{ code: string; message: string }> };
  expect(body.errors[0]).toMatchObject({ code: error.code, message: error.message });
  expect(response.status).not.toBe(500);
});

it('the statuses are what HTTP means by them', () => {
  const status = (name: string) => examples[name]!().httpStatus;
  expect([status('SecretExpiredError'), status('KeyServiceUnavailableError'), status('RateLimitedError'), status('NotFoundError')]).toEqual([410, 503, 429, 404]);
});
