import { type ChangeEvent, useRef, useState } from 'react';
import { payloadOf, useBanners, useRequest } from '../api';
import { Banner, Field, PageHeading } from '../components/ui';
import { type ConsoleRunTaskMutation, ConsoleRunTaskDocument, ConsoleValidateTaskDocument, type ConsoleValidateTaskQuery } from '../gql/graphql';

type Validation = ConsoleValidateTaskQuery['validateTask'];
type Run = Extract<ConsoleRunTaskMutation['runTask'], { __typename: 'RunTaskPayload' }>['run'];
type TaskProblem = Validation['problems'][number];

const EXAMPLE = `tools:
  - name: weather
    type: api_call
    api_call: { method: GET, url: "https://api.example.com/v1/weather" }
steps:
  - kind: tool_call
    tool: weather
    secret_name: weather_api_key
    arguments: { city: "{{ inputs.city }}" }
`;

/**
 * The task being worked on survives moving between pages (memory only; a task names secrets,
 * it holds no values). Signing out forgets it.
 */
const draft = { text: EXAMPLE, input: '{ "city": "Paris" }' };
export function forgetTaskDraft(): void {
  draft.text = EXAMPLE;
  draft.input = '{ "city": "Paris" }';
}

/** What each TaskErrorCode means to the person who ran the task. */
const RUN_ERRORS: Record<string, string> = {
  TASK_INVALID: 'The task is not valid',
  TASK_TIME_LIMIT: 'Time limit reached',
  TASK_MEMORY_LIMIT: 'Memory limit reached',
  TASK_OUTPUT_LIMIT: 'Output limit reached',
  TASK_NETWORK_POLICY: 'The server network policy refused a destination (nothing was sent)',
  TASK_SECRET_DENIED: "A secret would have gone to a host outside its allowed hosts (nothing was sent)",
  TASK_STEP_FAILED: 'A step failed',
};

/** Paste or upload a task, validate it (problems marked at their line and column), run it. */
export function TasksPage() {
  const request = useRequest();
  const banners = useBanners();
  const [text, setTextState] = useState(draft.text);
  const [inputText, setInputTextState] = useState(draft.input);
  const setText = (value: string) => {
    draft.text = value;
    setTextState(value);
  };
  const setInputText = (value: string) => {
    draft.input = value;
    setInputTextState(value);
  };
  const [inputError, setInputError] = useState<string | undefined>();
  const [validation, setValidation] = useState<Validation | null>(null);
  const [validatedText, setValidatedText] = useState('');
  const [run, setRun] = useState<Run | null>(null);
  const [busy, setBusy] = useState<'validate' | 'run' | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const editorRef = useRef<HTMLTextAreaElement>(null);

  const validate = async () => {
    setBusy('validate');
    setRun(null);
    const outcome = await request('query', ConsoleValidateTaskDocument, { task: text });
    setBusy(null);
    if (outcome.data) {
      setValidation(outcome.data.validateTask);
      setValidatedText(text);
    }
  };

  const execute = async () => {
    let input: unknown = undefined;
    if (inputText.trim()) {
      try {
        input = JSON.parse(inputText);
        setInputError(undefined);
      } catch {
        setInputError('Inputs must be JSON, e.g. { "city": "Paris" }.');
        return;
      }
    }
    setBusy('run');
    const outcome = await request('mutation', ConsoleRunTaskDocument, { input: { task: text, input } });
    setBusy(null);
    if (!outcome.data) return;
    const done = payloadOf(outcome.data.runTask, 'RunTaskPayload', banners);
    if (done.problem) {
      if (done.problem.kind === 'validation') setInputError(done.problem.message);
      return;
    }
    setRun(done.data.run);
    if (done.data.run.problems.length) {
      setValidation({ valid: false, problems: done.data.run.problems, secrets: [], warnings: [] });
      setValidatedText(text);
    }
  };

  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (file.size > 256 * 1024) {
      setFileError('That file is larger than 256 KiB; a task document is much smaller.');
      return;
    }
    setFileError(undefined);
    setText(await file.text());
    setValidation(null);
    setRun(null);
  };

  /** Puts the cursor on the problem in the editor. */
  const jumpTo = (problem: TaskProblem) => {
    const editor = editorRef.current;
    if (!editor || !problem.line) return;
    const lines = text.split('\n');
    let offset = 0;
    for (let i = 0; i < problem.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
    offset += Math.max(0, (problem.column ?? 1) - 1);
    editor.focus();
    editor.setSelectionRange(offset, offset + 1);
  };

  return (
    <section aria-labelledby="page-title">
      <PageHeading>
        <span id="page-title">Tasks</span>
      </PageHeading>
      <p className="lead">
        A task names secrets; the server injects their values and returns outputs with every value shown as [secret:NAME].
      </p>
      <div className="card">
        <Field label="Task document (YAML or JSON)" hint="Paste a task, or load a file.">
          {({ id, describedBy }) => (
            <textarea
              id={id}
              ref={editorRef}
              className="mono task-editor"
              rows={14}
              spellCheck={false}
              value={text}
              aria-describedby={describedBy}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
        <Field label="Load a file" error={fileError}>
          {({ id, describedBy }) => <input id={id} type="file" accept=".yaml,.yml,.json,text/yaml,application/json" aria-describedby={describedBy} onChange={upload} />}
        </Field>
        <Field label="Inputs (JSON, available as inputs.*)" error={inputError}>
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              className="mono"
              rows={2}
              spellCheck={false}
              value={inputText}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onChange={(e) => setInputText(e.target.value)}
            />
          )}
        </Field>
        <div className="form-actions">
          <button type="button" className="button-secondary" onClick={validate} disabled={busy !== null}>
            {busy === 'validate' ? 'Validating…' : 'Validate'}
          </button>
          <button type="button" className="button-primary" onClick={execute} disabled={busy !== null}>
            {busy === 'run' ? 'Running…' : 'Run'}
          </button>
        </div>
      </div>

      {validation ? <ValidationResult validation={validation} text={validatedText} onJump={jumpTo} stale={validatedText !== text} /> : null}
      {run ? <RunResult run={run} /> : null}
    </section>
  );
}

function ValidationResult(props: { validation: Validation; text: string; stale: boolean; onJump: (p: TaskProblem) => void }) {
  const { validation } = props;
  const byLine = new Map<number, TaskProblem[]>();
  for (const problem of validation.problems) {
    if (problem.line) byLine.set(problem.line, [...(byLine.get(problem.line) ?? []), problem]);
  }
  return (
    <section className="card" aria-labelledby="validation-title" aria-live="polite">
      <h2 id="validation-title">Validation</h2>
      {props.stale ? <p className="hint">The document changed since this check; validate again.</p> : null}
      {validation.valid ? (
        <p className="chain-ok" data-validation="valid">
          <span className="badge badge-ok">valid</span> The task is valid.
          {validation.secrets.length ? ` It uses: ${validation.secrets.join(', ')}.` : ' It uses no secrets.'}
        </p>
      ) : (
        <>
          <p data-validation="invalid">
            <span className="badge badge-bad">invalid</span> {validation.problems.length} problem{validation.problems.length === 1 ? '' : 's'}:
          </p>
          <ul className="problems">
            {validation.problems.map((problem, i) => (
              <li key={i}>
                {problem.line ? (
                  <button type="button" className="link-button" onClick={() => props.onJump(problem)}>
                    Line {problem.line}
                    {problem.column ? `, column ${problem.column}` : ''}
                  </button>
                ) : null}{' '}
                {problem.path ? <span className="mono">{problem.path}: </span> : null}
                {problem.message}
              </li>
            ))}
          </ul>
          {byLine.size ? <AnnotatedSource text={props.text} byLine={byLine} /> : null}
        </>
      )}
      {validation.warnings.length ? (
        <>
          <h3>Warnings</h3>
          <ul className="problems warnings">
            {validation.warnings.map((warning, i) => (
              <li key={i}>
                {warning.line ? (
                  <button type="button" className="link-button" onClick={() => props.onJump(warning)}>
                    Line {warning.line}
                    {warning.column ? `, column ${warning.column}` : ''}
                  </button>
                ) : null}{' '}
                {warning.path ? <span className="mono">{warning.path}: </span> : null}
                {warning.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** The document with each problem marked under its line, a caret at its column. */
function AnnotatedSource(props: { text: string; byLine: Map<number, TaskProblem[]> }) {
  const lines = props.text.split('\n');
  return (
    <ol className="annotated mono" aria-label="Task document with problems marked">
      {lines.map((line, i) => {
        const problems = props.byLine.get(i + 1);
        return (
          <li key={i} className={problems ? 'has-problem' : undefined} data-line={i + 1}>
            <span className="source-line">{line || ' '}</span>
            {problems?.map((p, j) => (
              <span key={j} className="marker" role="note">
                {' '.repeat(Math.max(0, (p.column ?? 1) - 1))}^ {p.message}
              </span>
            ))}
          </li>
        );
      })}
    </ol>
  );
}

function RunResult(props: { run: Run }) {
  const { run } = props;
  return (
    <section className="card" aria-labelledby="run-title" aria-live="polite">
      <h2 id="run-title">Run</h2>
      <p data-run-status={run.status}>
        <span className={`badge ${run.status === 'SUCCEEDED' ? 'badge-ok' : 'badge-bad'}`}>{run.status.toLowerCase()}</span>{' '}
        {run.usedSecrets.length ? `Secrets used: ${run.usedSecrets.join(', ')}.` : 'No secrets used.'}
      </p>
      {run.error ? (
        <Banner
          title={run.errorCode === 'TASK_NETWORK_POLICY' || run.errorCode === 'TASK_SECRET_DENIED' ? 'Run refused' : 'Run failed'}
          problem={{
            kind: run.errorCode === 'TASK_NETWORK_POLICY' || run.errorCode === 'TASK_SECRET_DENIED' ? 'forbidden' : 'unexpected',
            message: `${run.errorCode ? `${RUN_ERRORS[run.errorCode] ?? run.errorCode}. ` : ''}${run.error}`,
          }}
        />
      ) : null}
      <ol className="steps">
        {run.steps.map((step) => (
          <li key={step.index} className="step">
            <h3>
              Step {step.index + 1}: {step.kind}{' '}
              <span className={`badge ${step.status === 'SUCCEEDED' ? 'badge-ok' : 'badge-bad'}`}>{step.status.toLowerCase()}</span>
            </h3>
            {step.error ? (
              <p className="field-error">
                {step.errorCode ? <span className="mono">{step.errorCode} </span> : null}
                {step.error}
              </p>
            ) : null}
            {step.output !== null && step.output !== undefined ? (
              <pre className="output" tabIndex={0} aria-label={`Output of step ${step.index + 1}`}>
                {typeof step.output === 'string' ? step.output : JSON.stringify(step.output, null, 2)}
              </pre>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
