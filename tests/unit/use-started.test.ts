/**
 * useStarted (tests/support/test-app.ts) stops what it started newest first: an app stands on the
 * database made before it, so the database must outlive it, although jest runs a block's
 * afterAll hooks in the order they were declared.
 */
import { useStarted } from '../support/test-app';

const events: string[] = [];

function thing(name: string) {
  return async () => {
    events.push(`start ${name}`);
    return { name, close: async () => void events.push(`stop ${name}`) };
  };
}

describe('useStarted', () => {
  describe('a block with three things', () => {
    const first = useStarted(thing('first'));
    const second = useStarted(thing('second'));
    useStarted(async () => ({ name: 'third' }), async (value) => void events.push(`stop ${value.name} by its own stop`));

    it('starts them in order, and each stands for what it started', () => {
      expect(events).toEqual(['start first', 'start second']);
      expect([first.name, second.name]).toEqual(['first', 'second']);
    });
  });

  it('stopped them newest first, each once, once their block ended', () => {
    expect(events).toEqual(['start first', 'start second', 'stop third by its own stop', 'stop second', 'stop first']);
  });
});
