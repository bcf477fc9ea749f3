import { IsString } from 'class-validator';
import { ACTION_HANDLERS, ACTION_METADATA } from '../../../src/consumers/constants';
import { Action, DefaultAction } from '../../../src/consumers/decorators';
import { readConsumerMetadata } from '../../../src/consumers/metadata';
import { InvalidOption } from '../../../src/errors';

class ADto {
  @IsString()
  a!: string;
}
class BDto {
  @IsString()
  b!: string;
}

class Parent {
  @Action('a', ADto)
  onA() {}
  @Action('b')
  onB() {}
  @DefaultAction()
  fallback() {}
}

class Child extends Parent {
  @Action('b', BDto)
  onChildB() {}
  @Action('c')
  onC() {}
}

describe('consumer decorators', () => {
  it('only record metadata under the constants keys', () => {
    const parent = Parent.prototype as unknown as Record<symbol, unknown>;
    const child = Child.prototype as unknown as Record<symbol, unknown>;
    expect(parent[ACTION_HANDLERS]).toEqual(['onA', 'onB', 'fallback']);
    expect(parent[ACTION_METADATA]).toEqual({ onA: { action: 'a', dto: ADto }, onB: { action: 'b', dto: null }, fallback: { action: null, dto: null } });
    expect(Object.prototype.hasOwnProperty.call(child, ACTION_HANDLERS)).toBe(true);
    expect(child[ACTION_HANDLERS]).toEqual(['onChildB', 'onC']);
    // not enumerable: copying or iterating a prototype does not see them
    expect(Object.keys(Parent.prototype)).toEqual([]);
    // the decorated methods themselves are untouched
    expect(typeof Parent.prototype.onA).toBe('function');
  });

  it('refuse an empty action name', () => {
    expect(() => Action('')).toThrow(TypeError);
  });
});

describe('readConsumerMetadata', () => {
  it('collects actions and the default action', () => {
    const meta = readConsumerMetadata(Parent);
    expect([...meta.actions.entries()]).toEqual([
      ['a', { method: 'onA', dto: ADto }],
      ['b', { method: 'onB', dto: null }],
    ]);
    expect(meta.defaultAction).toEqual({ method: 'fallback', dto: null });
    expect(meta.routed).toBe(true);
  });

  it('lets a subclass override an inherited action and inherit the rest', () => {
    const meta = readConsumerMetadata(Child);
    expect(meta.actions.get('a')).toEqual({ method: 'onA', dto: ADto });
    expect(meta.actions.get('b')).toEqual({ method: 'onChildB', dto: BDto });
    expect(meta.actions.get('c')).toEqual({ method: 'onC', dto: null });
    expect(meta.defaultAction).toEqual({ method: 'fallback', dto: null });
  });

  it('caches per class', () => {
    expect(readConsumerMetadata(Child)).toBe(readConsumerMetadata(Child));
    expect(readConsumerMetadata(Child)).not.toBe(readConsumerMetadata(Parent));
  });

  it('reports a class without decorators as not routed', () => {
    class Plain {}
    const meta = readConsumerMetadata(Plain);
    expect(meta.routed).toBe(false);
    expect(meta.actions.size).toBe(0);
    expect(meta.defaultAction).toBeNull();
  });

  it('refuses the same action twice in one class, and two default actions', () => {
    class Twice {
      @Action('x')
      one() {}
      @Action('x')
      two() {}
    }
    expect(() => readConsumerMetadata(Twice)).toThrow(InvalidOption);
    expect(() => readConsumerMetadata(Twice)).toThrow(/declares @Action\("x"\) twice/);
    class TwoDefaults {
      @DefaultAction()
      one() {}
      @DefaultAction()
      two() {}
    }
    expect(() => readConsumerMetadata(TwoDefaults)).toThrow(/@DefaultAction on both one\(\) and two\(\)/);
  });
});
