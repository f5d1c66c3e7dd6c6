import isEmail from 'validator/lib/isEmail.js';
import { emailProblem, parseDuration, PLAIN_ADDRESS } from '../src/validate.js';

const OPTIONS = { allow_display_name: false, require_tld: true, allow_ip_domain: false };

describe('email validation', () => {
  // Every address the fast path accepts must be one validator accepts: the fast path only saves time.
  const locals = ['a', 'guest', 'first.last', 'x_y', 'p+tag', 'a%b', 'UP-per', '0', 'a.b.c', '.lead', 'trail.', 'dou..ble', 'sp ace', 'quo"te', 'ünï', "o'brien", 'a/b'];
  const domains = ['partner.example', 'a.co', 'sub.domain.example.org', 'x-y.example', '-lead.example', 'trail-.example', 'under_score.example', 'localhost', 'example.c', '123.example.456', 'xn--bcher-kva.example', 'münchen.example', '[127.0.0.1]', 'a'.repeat(64) + '.example', 'example.' + 'b'.repeat(64)];
  const corpus = locals.flatMap((l) => domains.map((d) => `${l}@${d}`));

  test('the fast path never accepts what validator refuses', () => {
    const fast = corpus.filter((address) => PLAIN_ADDRESS.test(address));
    expect(fast.length).toBeGreaterThan(40);
    for (const address of fast) expect([address, isEmail.default(address, OPTIONS)]).toEqual([address, true]);
  });

  test('emailProblem agrees with validator on the whole corpus', () => {
    for (const address of corpus) {
      const expected = address.length <= 254 && address.indexOf('@') <= 64 && isEmail.default(address, OPTIONS);
      expect([address, emailProblem(address) === undefined]).toEqual([address, expected]);
    }
  });

  test.each([
    ['', /empty/],
    ['a\r\nb@x.example', /control characters/],
    [`${'a'.repeat(65)}@x.example`, /longer than 64/],
    [`a@${'b'.repeat(250)}.example`, /longer than 254/],
    ['Eve <eve@x.example>', /not a valid email address/],
  ])('%j is refused', (address, reason) => {
    expect(emailProblem(address)).toMatch(reason);
  });
});

describe('durations', () => {
  test.each([
    ['90s', 90],
    ['15m', 900],
    ['12h', 43200],
    ['7d', 604800],
    ['2w', 1209600],
  ])('%s', (text, seconds) => expect(parseDuration(text, '--x')).toBe(seconds));
  test.each(['', '7', 'd7', '7 days', '-1d', '0d'])('%j is refused', (text) => expect(() => parseDuration(text, '--x')).toThrow(/--x/));
});
