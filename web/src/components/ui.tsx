import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import type { Problem } from '../errors';

/** A labelled form control with its server-side error right under it (aria-describedby). */
export function Field(props: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: Boolean(props.error) })}
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

const BANNER_TITLES: Record<string, string> = {
  outage: 'Key service unavailable',
  expired: 'Secret expired',
  forbidden: 'Not allowed with this key',
  'not-found': 'Not found',
  network: 'Server unreachable',
  unexpected: 'Something went wrong',
  info: 'Note',
};

export function Banner(props: { problem: Pick<Problem, 'kind' | 'message'>; title?: string; onDismiss?: () => void }) {
  const { kind, message } = props.problem;
  const title = props.title ?? BANNER_TITLES[kind] ?? 'Problem';
  return (
    <div className={`banner banner-${kind}`} role={kind === 'info' ? 'status' : 'alert'} data-banner={kind}>
      <div>
        <strong>{title}</strong>
        <p>{message}</p>
      </div>
      {props.onDismiss ? (
        <button type="button" className="button-quiet" onClick={props.onDismiss} aria-label={`Dismiss: ${title}`}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

/** A destructive action that asks once more in place (no window.confirm, keyboard friendly). */
export function ConfirmButton(props: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void | Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className={props.danger ? 'button-danger' : 'button-secondary'} disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={props.question}>
      <span className="confirm-question">{props.question}</span>
      <button
        ref={confirmRef}
        type="button"
        className={props.danger ? 'button-danger' : 'button-primary'}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {props.confirmLabel}
      </button>
      <button type="button" className="button-quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Copies text to the clipboard and says so in a live region. */
export function CopyButton(props: { getText: () => Promise<string | null> | string | null; label: string }) {
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!status) return;
    const timer = window.setTimeout(() => setStatus(''), 4000);
    return () => window.clearTimeout(timer);
  }, [status]);
  return (
    <>
      <button
        type="button"
        className="button-secondary"
        onClick={async () => {
          const text = await props.getText();
          if (text === null) return;
          try {
            await navigator.clipboard.writeText(text);
            setStatus('Copied to the clipboard.');
          } catch {
            setStatus('The browser refused clipboard access.');
          }
        }}
      >
        {props.label}
      </button>
      <span className="copy-status" role="status" aria-live="polite">
        {status}
      </span>
    </>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <p className="loading" role="status">
      {props.label ?? 'Loading…'}
    </p>
  );
}

/** Moves focus to the page heading on navigation, so screen readers announce the new page. */
export function PageHeading(props: { children: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <div className="page-heading">
      <h1 ref={ref} tabIndex={-1}>
        {props.children}
      </h1>
      {props.actions ? <div className="page-actions">{props.actions}</div> : null}
    </div>
  );
}
