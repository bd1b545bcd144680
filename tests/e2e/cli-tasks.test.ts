import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeHttp, type FakeHttp } from '../support/fake-http';
import { CliSandbox, type ServerProcess, startServerProcess } from '../support/processes';

/** The task examples of docs/task-language.md through the real CLI and a real server process. */
const WEATHER_KEY = 'wk-cli-live-0a1b2c3d4e5f';
const OPENAI_KEY = 'sk-cli-openai-9f8e7d6c5b4a';

describe('locksmith tasks run (real CLI, real server, loopback fakes)', () => {
  let api: FakeHttp;
  let server: ServerProcess;
  let dir: string;

  let sandbox: CliSandbox;
  const cli = (args: string[], input = '') => sandbox.run(args, { cwd: dir, input });

  beforeAll(async () => {
    api = await startFakeHttp();
    dir = mkdtempSync(join(tmpdir(), 'locksmith-cli-tasks-'));
    server = await startServerProcess({
      dataDir: join(dir, 'data'),
      env: { LOCKSMITH_OPENAI_BASE_URL: `${api.url}/v1`, LOCKSMITH_TASK_ALLOWED_NETWORKS: '127.0.0.0/8' },
    });
    sandbox = new CliSandbox({ LOCKSMITH_URL: server.url, LOCKSMITH_TOKEN: server.credentials.apiKey });
    const weatherFile = join(dir, 'weather.txt');
    writeFileSync(weatherFile, WEATHER_KEY);
    expect((await cli(['secrets', 'create', '--name', 'weather_api_key', '--value-file', weatherFile])).code).toBe(0);
    const openaiFile = join(dir, 'openai.txt');
    writeFileSync(openaiFile, OPENAI_KEY);
    expect((await cli(['secrets', 'create', '--name', 'OPENAI_API_KEY', '--value-file', openaiFile])).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    sandbox?.remove();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a tool_call with secret_name and an LLM step that picks up OPENAI_API_KEY, printing only redacted output', async () => {
    const task = join(dir, 'seed.yaml');
    writeFileSync(
      task,
      `tools:
  - name: weather
    type: api_call
    api_call: { method: GET, url: "${api.url}/echo/weather" }
steps:
  - kind: tool_call
    tool: weather
    secret_name: weather_api_key
    arguments: { city: Paris }
  - kind: prompt
    model: gpt-4o-mini
    prompt: "Summarize {{ steps[0].output }}"
`,
    );
    const validated = await cli(['tasks', 'validate', task]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('OPENAI_API_KEY');

    const ran = await cli(['tasks', 'run', task, '--json']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const run = JSON.parse(ran.stdout);
    expect(run.status).toBe('SUCCEEDED');
    expect(api.requests.find((r) => r.path === '/echo/weather')!.headers.authorization).toBe(`Bearer ${WEATHER_KEY}`);
    expect(api.requests.find((r) => r.path === '/v1/chat/completions')!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    for (const output of [ran.stdout, server.output()]) {
      expect(output).not.toContain(WEATHER_KEY);
      expect(output).not.toContain(OPENAI_KEY);
    }
    expect(ran.stdout).toContain('[secret:weather_api_key]');
  }, 60_000);

  it('reads a task from stdin ("-"), names it as stdin in messages, and keeps object keys in order', async () => {
    const ran = await cli(['tasks', 'run', '-'], 'steps:\n  - kind: evaluate\n    evaluate: { city: "$ \'Paris\'", temp_c: "$ 21", wind: "$ 3" }\n');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('{"city":"Paris","temp_c":21,"wind":3}');

    const invalid = await cli(['tasks', 'validate', '-'], 'steps:\n  - kind: nope\n');
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('the task on stdin is not a valid task');
    expect(invalid.stderr).not.toMatch(/(^|\s)- is not a valid task/);
  }, 60_000);

  it('binds a secret to hosts with --allowed-host (repeatable) and refuses a run that would send it elsewhere', async () => {
    const created = await cli(['secrets', 'create', '--name', 'bound_cli', '--value', 'bound-cli-value-123456', '--allowed-host', 'api.example.com', '--allowed-host', '*.example.org', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).allowedHosts).toEqual(['api.example.com', '*.example.org']);
    const shown = await cli(['secrets', 'get', 'bound_cli']);
    expect(shown.stdout).toContain('api.example.com, *.example.org');

    const task = `tools:\n  - name: w\n    type: api_call\n    api_call: { method: GET, url: "${api.url}/echo/bound" }\nsteps:\n  - kind: tool_call\n    tool: w\n    secret_name: bound_cli\n`;
    const ran = await cli(['tasks', 'run', '-', '--json'], task);
    expect(ran.code).not.toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'FAILED', errorCode: 'TASK_SECRET_DENIED' });
    expect(api.requests.filter((r) => r.path === '/echo/bound')).toEqual([]);

    const cleared = await cli(['secrets', 'update', 'bound_cli', '--clear-allowed-hosts', '--json']);
    expect(JSON.parse(cleared.stdout).allowedHosts).toEqual([]);
  }, 60_000);
});
