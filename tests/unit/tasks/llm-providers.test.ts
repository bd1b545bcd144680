import { baseUrlFor, keyCandidates, LLM_PROVIDERS, llmConfigFromEnv, routeModel } from '../../../src/tasks/llm-providers';

describe('model routing', () => {
  it.each([
    ['gpt-4o', 'openai', 'gpt-4o'],
    ['gpt-3.5-turbo', 'openai', 'gpt-3.5-turbo'],
    ['chatgpt-4o-latest', 'openai', 'chatgpt-4o-latest'],
    ['o1', 'openai', 'o1'],
    ['o1-preview', 'openai', 'o1-preview'],
    ['o3-mini', 'openai', 'o3-mini'],
    ['o4-mini', 'openai', 'o4-mini'],
    ['claude-3-haiku-20240307', 'anthropic', 'claude-3-haiku-20240307'],
    ['gemini-2.0-flash', 'google', 'gemini-2.0-flash'],
    ['mistral-large-latest', 'mistral', 'mistral-large-latest'],
    ['codestral-2405', 'mistral', 'codestral-2405'],
    ['groq/llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile'],
    ['openrouter/anthropic/claude-3.5-sonnet', 'openrouter', 'anthropic/claude-3.5-sonnet'],
    ['openrouter/openai/gpt-4o', 'openrouter', 'openai/gpt-4o'],
  ])('%s -> %s (%s)', (model, provider, sent) => {
    const route = routeModel(model);
    expect(route?.provider.id).toBe(provider);
    expect(route?.model).toBe(sent);
  });

  it.each(['o2', 'omni', 'gpt4', 'llama3', 'groq/', 'Claude-3'])('%s is unknown', (model) => {
    expect(routeModel(model)).toBeNull();
  });

  it('an explicit provider wins and strips its own routing prefix', () => {
    expect(routeModel('my-finetune', 'openai')).toMatchObject({ provider: { id: 'openai' }, model: 'my-finetune' });
    expect(routeModel('groq/llama', 'groq')).toMatchObject({ model: 'llama' });
    expect(routeModel('x', 'nope')).toBeNull();
  });

  it('conventional key names, upper then lower case', () => {
    expect(LLM_PROVIDERS.map((p) => [p.id, keyCandidates(p)])).toEqual([
      ['groq', ['GROQ_API_KEY', 'groq_api_key']],
      ['openrouter', ['OPENROUTER_API_KEY', 'openrouter_api_key']],
      ['openai', ['OPENAI_API_KEY', 'openai_api_key']],
      ['anthropic', ['ANTHROPIC_API_KEY', 'anthropic_api_key']],
      ['google', ['GEMINI_API_KEY', 'gemini_api_key']],
      ['mistral', ['MISTRAL_API_KEY', 'mistral_api_key']],
    ]);
  });
});

describe('configuration', () => {
  it('reads base URLs and server default keys from a given environment', () => {
    const config = llmConfigFromEnv({
      LOCKSMITH_OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1/',
      LOCKSMITH_ANTHROPIC_BASE_URL: 'http://127.0.0.1:9998/v1',
      LOCKSMITH_GEMINI_BASE_URL: 'http://g',
      LOCKSMITH_MISTRAL_BASE_URL: 'http://m',
      LOCKSMITH_GROQ_BASE_URL: 'http://q',
      LOCKSMITH_OPENROUTER_BASE_URL: 'http://r',
      LOCKSMITH_DEFAULT_OPENAI_API_KEY: 'sk-default',
      LOCKSMITH_DEFAULT_ANTHROPIC_API_KEY: '',
      OPENAI_API_KEY: 'ignored: the server never uses its own environment as a developer key',
    });
    expect(config).toEqual({
      baseUrls: {
        openai: 'http://127.0.0.1:9999/v1/',
        anthropic: 'http://127.0.0.1:9998/v1',
        google: 'http://g',
        mistral: 'http://m',
        groq: 'http://q',
        openrouter: 'http://r',
      },
      defaultKeys: { openai: 'sk-default' },
    });
    const openai = LLM_PROVIDERS.find((p) => p.id === 'openai')!;
    expect(baseUrlFor(openai, config)).toBe('http://127.0.0.1:9999/v1');
    expect(baseUrlFor(openai, undefined)).toBe('https://api.openai.com/v1');
  });
});
