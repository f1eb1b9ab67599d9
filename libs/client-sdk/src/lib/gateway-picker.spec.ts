import { GatewayPicker } from './gateway-picker';

describe('GatewayPicker', () => {
  it('starts on the first URL, then never retries the one just used while there are others', () => {
    const picker = new GatewayPicker(['a', 'b', 'c']);
    expect(picker.next()).toBe('a');
    let last = 'a';
    for (let i = 0; i < 200; i += 1) {
      const url = picker.next();
      expect(url).not.toBe(last);
      last = url;
    }
  });

  it('spreads the clients of a gateway over all the others, not onto the next in the list', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const landed: Record<string, number> = {};
    for (let client = 0; client < 300; client += 1) {
      const picker = new GatewayPicker(['a', 'b', 'c', 'd'], random);
      picker.next();
      const url = picker.next();
      landed[url] = (landed[url] ?? 0) + 1;
    }
    expect(landed['a']).toBeUndefined();
    for (const url of ['b', 'c', 'd']) expect(landed[url]).toBeGreaterThan(60);
  });

  it('stays on a lone URL', () => {
    const picker = new GatewayPicker(['only']);
    expect([picker.next(), picker.next(), picker.next()]).toEqual(['only', 'only', 'only']);
  });
});
