import { ConfigError, loadConfig } from '../../src/config';

/** Environment -> typed config: every variable the service reads is validated here at start-up. */
describe('loadConfig', () => {
  const base = { NODE_ENV: 'test', LOCKSMITH_DATA_DIR: '/tmp/locksmith-config-test' };

  it('routes LLM base URLs and server default keys through validation into config.llm', () => {
    const config = loadConfig({
      ...base,
      LOCKSMITH_OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1',
      LOCKSMITH_DEFAULT_ANTHROPIC_API_KEY: 'sk-ant-default',
      LOCKSMITH_GROQ_BASE_URL: '',
    });
    expect(config.llm).toEqual({ baseUrls: { openai: 'http://127.0.0.1:9999/v1' }, defaultKeys: { anthropic: 'sk-ant-default' } });
  });

  it.each([
    ['LOCKSMITH_OPENAI_BASE_URL', 'not a url'],
    ['LOCKSMITH_MISTRAL_BASE_URL', 'ftp://files.example.com/v1'],
  ])('refuses %s=%p, naming the variable', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ ...base, [name]: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
  });

  it('LOCKSMITH_GRAPHIQL overrides the mode default and is validated', () => {
    expect(loadConfig({ ...base }).graphiql).toBe(true);
    expect(loadConfig({ ...base, LOCKSMITH_GRAPHIQL: 'false' }).graphiql).toBe(false);
    expect(() => loadConfig({ ...base, LOCKSMITH_GRAPHIQL: 'maybe' })).toThrow(/LOCKSMITH_GRAPHIQL/);
  });
});
