import { redactQuery, redactUrl } from './redact-url';

describe('redactUrl', () => {
  it.each([
    [
      '/socket.io/?EIO=4&transport=polling&token=eyJhbGciOi.x.y',
      '/socket.io/?EIO=4&transport=polling&token=[redacted]',
    ],
    ['/api/rooms/r1?access_token=abc&cursor=5', '/api/rooms/r1?access_token=[redacted]&cursor=5'],
    [
      '/api/x?api_key=k1&apiKey=k2&KEY=k3&x-api-key=k4',
      '/api/x?api_key=[redacted]&apiKey=[redacted]&KEY=[redacted]&x-api-key=[redacted]',
    ],
    ['/api/x?%74oken=abc', '/api/x?%74oken=[redacted]'],
    ['/api/x?token', '/api/x?token=[redacted]'],
    ['/api/x?a=1&password=p#frag', '/api/x?a=1&password=[redacted]#frag'],
    ['/api/x?bad=%E0%A4%A', '/api/x?bad=%E0%A4%A'],
  ])('%s -> %s', (url, clean) => {
    expect(redactUrl(url)).toBe(clean);
  });

  it('leaves a URL without a query alone', () => {
    expect(redactUrl('/api/gifts')).toBe('/api/gifts');
  });

  it('censors the same names in a parsed query', () => {
    expect(redactQuery({ token: 't', cursor: '5', API_KEY: 'k' })).toEqual({
      token: '[redacted]',
      cursor: '5',
      API_KEY: '[redacted]',
    });
  });
});
