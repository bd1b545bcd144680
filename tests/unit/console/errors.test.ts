import { formFieldOf, problemFromCombined, problemFromUnion } from '../../../web/src/errors';
import { parseMetadataValue, formatMetadataValue } from '../../../web/src/format';

/** How the console turns API errors into field messages, dialogs and banners. */
describe('console error presentation', () => {
  it('maps union error members to problems', () => {
    expect(problemFromUnion({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', message: 'name is bad', field: 'name' })).toEqual({
      kind: 'validation',
      message: 'name is bad',
      field: 'name',
    });
    expect(problemFromUnion({ __typename: 'VersionConflictError', message: 'moved', expectedVersion: 1, currentVersion: 2 })).toMatchObject({
      kind: 'conflict',
      expectedVersion: 1,
      currentVersion: 2,
    });
    expect(problemFromUnion({ __typename: 'NameTakenError', message: 'taken', name: 'x' })).toMatchObject({ kind: 'name-taken', field: 'name' });
    expect(problemFromUnion({ __typename: 'KeyServiceUnavailableError', message: 'provider down' }).kind).toBe('outage');
    expect(problemFromUnion({ __typename: 'ForbiddenError', message: 'lacks secrets:write' })).toEqual({
      kind: 'forbidden',
      message: 'Refused: lacks secrets:write',
    });
  });

  it('maps top-level errors by extensions.code, 401 first', () => {
    expect(problemFromCombined({ graphQLErrors: [], response: { status: 401 } }).kind).toBe('unauthenticated');
    expect(problemFromCombined({ graphQLErrors: [{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }] }).kind).toBe('unauthenticated');
    expect(problemFromCombined({ graphQLErrors: [{ message: 'expired at ...', extensions: { code: 'SECRET_EXPIRED' } }] })).toEqual({
      kind: 'expired',
      message: 'expired at ...',
    });
    expect(problemFromCombined({ graphQLErrors: [{ message: 'lacks secrets:reveal', extensions: { code: 'FORBIDDEN' } }] }).message).toContain(
      'secrets:reveal',
    );
    expect(problemFromCombined({ graphQLErrors: [{ message: 'x', extensions: { code: 'KEY_SERVICE_UNAVAILABLE' } }] }).kind).toBe('outage');
    const masked = problemFromCombined({ graphQLErrors: [{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' } }] });
    expect(masked).toMatchObject({ kind: 'unexpected', requestId: 'req-1' });
    expect(masked.message).toContain('req-1');
    expect(problemFromCombined({ graphQLErrors: [], networkError: new Error('Failed to fetch') }).kind).toBe('network');
  });

  it('puts a ValidationError under the form field it names', () => {
    expect(formFieldOf('metadata.env')).toBe('metadata');
    expect(formFieldOf('input.name')).toBe('name');
    expect(formFieldOf('expiresAt')).toBe('expiresAt');
    expect(formFieldOf(undefined)).toBe('form');
  });

  it('types metadata text like the API filters do', () => {
    expect(parseMetadataValue('prod')).toBe('prod');
    expect(parseMetadataValue('3')).toBe(3);
    expect(parseMetadataValue('true')).toBe(true);
    expect(parseMetadataValue('"3"')).toBe('3');
    expect(formatMetadataValue('3')).toBe('"3"');
    expect(formatMetadataValue(3)).toBe('3');
    expect(parseMetadataValue(formatMetadataValue('true'))).toBe('true');
  });
});
