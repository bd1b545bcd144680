import { useCallback, useEffect, useState } from 'react';
import { useRequest } from '../api';
import { RevealValueDocument } from '../gql/graphql';
import { CopyButton } from './ui';

export const REVEAL_SECONDS = 30;

/**
 * A value stays hidden until the person asks. Reveal fetches it (the server audits the read),
 * shows it for 30 seconds, then forgets it; so does switching tabs. The value is held only in
 * this component's state: never in the URL, storage, the console's logs or a cache.
 */
export function RevealValue(props: { name: string; version?: number; label: string; onRevealed?: () => void }) {
  const request = useRequest();
  const [value, setValue] = useState<string | null>(null);
  // A deadline, not a countdown of ticks: a throttled background timer cannot stretch it.
  const [hideAt, setHideAt] = useState(0);
  const [secondsLeft, setSecondsLeft] = useState(0);
  const [busy, setBusy] = useState(false);

  const fetchValue = useCallback(async (): Promise<string | null> => {
    setBusy(true);
    const outcome = await request('query', RevealValueDocument, { name: props.name, version: props.version ?? null });
    setBusy(false);
    const fetched = outcome.data?.secretValue ?? null;
    if (fetched !== null) props.onRevealed?.();
    return fetched;
  }, [request, props.name, props.version, props.onRevealed]);

  const hide = useCallback(() => {
    setValue(null);
    setSecondsLeft(0);
  }, []);

  useEffect(() => {
    if (value === null) return;
    const timer = window.setInterval(() => {
      const left = Math.ceil((hideAt - Date.now()) / 1000);
      if (left <= 0) {
        setValue(null);
        setSecondsLeft(0);
      } else setSecondsLeft(left);
    }, 1000);
    const onHidden = () => document.visibilityState === 'hidden' && hide();
    document.addEventListener('visibilitychange', onHidden);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onHidden);
    };
  }, [value, hideAt, hide]);

  const reveal = async () => {
    const fetched = await fetchValue();
    if (fetched === null) return;
    setValue(fetched);
    setHideAt(Date.now() + REVEAL_SECONDS * 1000);
    setSecondsLeft(REVEAL_SECONDS);
  };

  return (
    <div className="reveal" data-revealed={value !== null}>
      <div className="reveal-value" aria-live="polite">
        {value === null ? (
          <span className="masked" aria-label={`${props.label} hidden`}>
            ••••••••••••
          </span>
        ) : (
          <>
            <code className="secret-value" aria-label={props.label}>
              {value}
            </code>
            <span className="hint reveal-timer">Hides in {secondsLeft} s</span>
          </>
        )}
      </div>
      <div className="reveal-actions">
        {value === null ? (
          <button type="button" className="button-secondary" onClick={reveal} disabled={busy} aria-describedby="reveal-audited">
            {busy ? 'Revealing…' : props.version ? `Reveal v${props.version}` : 'Reveal'}
          </button>
        ) : (
          <button type="button" className="button-secondary" onClick={hide}>
            Hide
          </button>
        )}
        <CopyButton label={props.version ? `Copy v${props.version}` : 'Copy value'} getText={() => value ?? fetchValue()} />
      </div>
    </div>
  );
}
