import { PresenceState, sameMeta, type PresenceChange } from '../../../src/presence/presence-state';

function kinds(changes: PresenceChange[]): string[] {
  return changes.map((c) => `${c.kind}:${c.group}:${c.id}:${c.connections}`);
}

describe('PresenceState', () => {
  it('counts several connections of one member as one member', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'room', 'alice', 'tab1', { name: 'Alice' }, 1, changes);
    state.add('n1', 'room', 'alice', 'tab2', { name: 'Alice' }, 2, changes);
    state.add('n2', 'room', 'alice', 'tab3', { name: 'Alice' }, 3, changes);
    expect(state.list('room')).toEqual([{ id: 'alice', meta: { name: 'Alice' }, connections: 3 }]);
    state.remove('n1', 'room', 'alice', 'tab1', changes);
    state.remove('n1', 'room', 'alice', 'tab2', changes);
    state.remove('n2', 'room', 'alice', 'tab3', changes);
    expect(kinds(changes)).toEqual([
      'join:room:alice:1',
      'update:room:alice:2',
      'update:room:alice:3',
      'update:room:alice:2',
      'update:room:alice:1',
      'leave:room:alice:0',
    ]);
    expect(state.list('room')).toEqual([]);
    expect(state.groups()).toEqual([]);
  });

  it('keeps the connections of a member on one node through one, three and back to one (inline, then a Map)', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'g', 'eve', 'c1', { tab: 1 }, 1, changes);
    state.add('n1', 'g', 'eve', 'c2', { tab: 2 }, 2, changes);
    state.add('n1', 'g', 'eve', 'c3', { tab: 3 }, 3, changes);
    state.remove('n1', 'g', 'eve', 'c2', changes);
    expect(state.connectionsOf('g', 'eve').map((c) => c.connection)).toEqual(['c1', 'c3']);
    state.remove('n1', 'g', 'eve', 'c1', changes);
    expect(state.entriesOf('n1')).toEqual([['g', 'eve', 'c3', { tab: 3 }, 3]]);
    // Re-tracking the one left replaces it; a connection that is not there is not removed.
    state.add('n1', 'g', 'eve', 'c3', { tab: 4 }, 4, changes);
    expect(state.remove('n1', 'g', 'eve', 'c9', changes)).toBe(false);
    expect(state.connectionsOf('g', 'eve')).toEqual([{ connection: 'c3', meta: { tab: 4 }, at: 4 }]);
    state.add('n1', 'g', 'eve', 'c5', { tab: 5 }, 5, changes);
    expect(state.get('g', 'eve')).toEqual({ id: 'eve', meta: { tab: 5 }, connections: 2 });
    state.removeNode('n1', changes);
    expect(state.list('g')).toEqual([]);
    expect(kinds(changes).at(-1)).toBe('leave:g:eve:0');
  });

  it('shows the newest connection meta and falls back when it goes', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'g', 'bob', 'c1', { status: 'idle' }, 10, changes);
    state.add('n2', 'g', 'bob', 'c2', { status: 'typing' }, 20, changes);
    expect(state.get('g', 'bob')?.meta).toEqual({ status: 'typing' });
    state.remove('n2', 'g', 'bob', 'c2', changes);
    expect(state.get('g', 'bob')).toEqual({ id: 'bob', meta: { status: 'idle' }, connections: 1 });
  });

  it('re-tracking a connection with the same meta reports nothing; a new meta is an update', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'g', 'bob', 'c1', { a: 1 }, 1, changes);
    state.add('n1', 'g', 'bob', 'c1', { a: 1 }, 2, changes);
    state.add('n1', 'g', 'bob', 'c1', { a: 2 }, 3, changes);
    expect(kinds(changes)).toEqual(['join:g:bob:1', 'update:g:bob:1']);
    expect(state.get('g', 'bob')?.connections).toBe(1);
  });

  it('removing an unknown connection is a no-op', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.remove('n1', 'g', 'bob', 'c1', changes);
    expect(changes).toEqual([]);
  });

  it('removeNode leaves only members that node alone kept present', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'g', 'alice', 'a1', {}, 1, changes);
    state.add('n1', 'g', 'bob', 'b1', {}, 2, changes);
    state.add('n2', 'g', 'bob', 'b2', {}, 3, changes);
    changes.length = 0;
    state.removeNode('n1', changes);
    expect(kinds(changes).sort()).toEqual(['leave:g:alice:0', 'update:g:bob:1']);
    expect(changes.every((c) => c.node === 'n1')).toBe(true);
    expect(state.list('g')).toEqual([{ id: 'bob', meta: {}, connections: 1 }]);
  });

  it('replaceNode reports net changes only', () => {
    const state = new PresenceState();
    const changes: PresenceChange[] = [];
    state.add('n1', 'g', 'alice', 'a1', {}, 1, changes);
    state.add('n1', 'g', 'bob', 'b1', {}, 2, changes);
    changes.length = 0;
    state.replaceNode('n1', [['g', 'alice', 'a1', {}, 1], ['g', 'carol', 'c1', { x: true }, 5]], changes);
    expect(kinds(changes)).toEqual(['join:g:carol:1', 'leave:g:bob:0']);
    expect(state.entriesOf('n1').map((e) => e[1]).sort()).toEqual(['alice', 'carol']);
  });

  it('sameMeta compares plain data deeply', () => {
    expect(sameMeta({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(sameMeta({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(false);
    expect(sameMeta({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameMeta({ a: Buffer.from('hi') }, { a: Buffer.from('hi') })).toBe(true);
    expect(sameMeta({ a: [] }, { a: {} })).toBe(false);
  });
});
