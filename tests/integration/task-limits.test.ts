import { startFakeHttp } from '../support/fake-http';
import { useDeveloper, useStarted, useTestApp } from '../support/test-app';

/**
 * The hostile tasks of the hardening review, through GraphQL: each is stopped with a typed
 * code, and the server keeps answering while one runs. Database-independent, so SQLite only.
 */

const RUN = `mutation($task: JSON!, $input: JSON) { runTask(input: { task: $task, input: $input }) {
  ... on RunTaskPayload { run { status error errorCode steps { index status error errorCode } } } } }`;

const MB_STRING = '0'.repeat(1024 * 1024 - 64);

const api = useStarted(async () => {
  const fake = await startFakeHttp();
  fake.on('GET', '/big', { status: 200, body: { s: MB_STRING } });
  return fake;
});
const t = useTestApp('sqlite');
const dev = useDeveloper(t);

const run = async (task: unknown, input: unknown = {}) => {
  const response = await t.graphql(dev.token, RUN, { task, input });
  return { run: response.body.data.runTask.run, bytes: JSON.stringify(response.body).length };
};

describe('task limits', () => {
  it('CPU: O(n) built-ins over a 1 MB string, many times over, hit TASK_TIME_LIMIT', async () => {
    // The review's 4.8 KB task: len([int(o.z, 2), ...x120]) over a 1 MB string.
    // The 1 MB string comes from a tool response, as in the review (request bodies are capped).
    const task = {
      tools: [{ name: 'big', type: 'api_call', api_call: { method: 'GET', url: `${api.url}/big` } }],
      main: [{ tool: 'big' }, { evaluate: { n: `$ len([${Array(120).fill('int(_.s, 2)').join(', ')}])` } }],
    };
    const { run: r } = await run(task);
    expect(r.status).toBe('FAILED');
    expect(r.errorCode).toBe('TASK_TIME_LIMIT');
  });

  it('output: [steps[0].output.s] * 400 over a 1 MB response is TASK_OUTPUT_LIMIT, and the response stays small', async () => {
    const task = {
      tools: [{ name: 'big', type: 'api_call', api_call: { method: 'GET', url: `${api.url}/big` } }],
      main: [{ tool: 'big' }, { evaluate: { many: '$ [steps[0].output.s] * 400' } }],
    };
    const { run: r, bytes } = await run(task);
    expect(r.errorCode).toBe('TASK_OUTPUT_LIMIT');
    expect(r.steps[1]).toMatchObject({ status: 'FAILED', errorCode: 'TASK_OUTPUT_LIMIT' });
    // Step 0's 1 MB output is returned; 400 copies of it are not.
    expect(bytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('/healthz keeps answering while a CPU-heavy task runs', async () => {
    // Many expressions that each stay well inside their budgets but take real CPU time together.
    const evaluate = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, `$ len(sorted(list(inputs.s)))`]));
    const hostile = run({ main: [{ evaluate }] }, { s: 'qwertyuiopasdfghjklzxcvbnm'.repeat(800) });
    let done = false;
    void hostile.finally(() => (done = true));
    let answered = 0;
    let whileRunning = 0;
    while (!done && answered < 2_000) {
      const res = await t.app.yoga.fetch('http://locksmith.test/healthz');
      expect(res.status).toBe(200);
      answered++;
      if (!done) whileRunning++;
      await new Promise((r) => setImmediate(r));
    }
    // It worked (on a very loaded machine its clock may run out first: that is a budget, not a hang)...
    const finished = (await hostile).run;
    expect([null, 'TASK_TIME_LIMIT']).toContain(finished.errorCode);
    // ...and while it did, the server kept answering; on the event loop it would have left
    // no room for a single request.
    expect(whileRunning).toBeGreaterThanOrEqual(20);
  });
});
