import { isOwnChannel, OwnQueuesInRedis, splitMembers } from '../../../../src/layers/redis/own-channels';

const TOKEN = 'Ab-_0123456z';

describe('isOwnChannel', () => {
  it.each([
    [`specific.${TOKEN}!x`, true],
    [`chat.${TOKEN}!`, true],
    [`a.b.${TOKEN}!xyz`, true],
    [`specific.${TOKEN}x!y`, false],
    [`specific.x${TOKEN}!y`, false],
    [`specific${TOKEN}!y`, false],
    [`${TOKEN}!y`, false],
    [`specific.${TOKEN}`, false],
    ['specific.other000000!x', false],
    ['named.channel', false],
  ])('%s -> %s', (channel, own) => {
    expect(isOwnChannel(channel, TOKEN)).toBe(own);
  });
});

describe('splitMembers', () => {
  it('serves own members that serveHere accepts locally and groups every other member by queue', () => {
    const mine = `specific.${TOKEN}!a`;
    const mineUnread = `specific.${TOKEN}!b`;
    const members = [mine, 'specific.other!x', mineUnread, 'specific.other!y', 'named'];
    const { own, queues } = splitMembers(members, TOKEN, (channel) => channel === mine);
    expect(own).toEqual([mine]);
    expect([...queues]).toEqual([
      ['specific.other!', ['specific.other!x', 'specific.other!y']],
      [`specific.${TOKEN}!`, [mineUnread]],
      ['named', ['named']],
    ]);
  });
});

describe('OwnQueuesInRedis', () => {
  it('holds a queue until a pop reaches the score of our latest push to it', () => {
    const queues = new OwnQueuesInRedis();
    expect(queues.empty).toBe(true);
    queues.pushed('q!', 10);
    queues.pushed('q!', 12);
    queues.pushed('q!', 11); // an older score never lowers the mark
    expect(queues.has('q!')).toBe(true);
    queues.popped('q!', 11);
    expect(queues.has('q!')).toBe(true);
    queues.popped('other!', 99);
    expect(queues.has('q!')).toBe(true);
    queues.popped('q!', 12);
    expect(queues.has('q!')).toBe(false);
    expect(queues.empty).toBe(true);
    queues.pushed('q!', 13);
    queues.clear();
    expect(queues.empty).toBe(true);
  });
});
