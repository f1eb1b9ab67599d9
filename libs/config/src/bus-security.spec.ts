import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusSecurityEnv, resolveBusSecurity, resolveMemberSecurity } from './bus-security';
import { ConfigError, parseConfig } from './load-config';

const PUBLIC = 'hEFTmuAJ/{hPAO?sgwKqE9bl=OfNurR)VNF[-mn(';
const SECRET = '*:!kSP5qnRd4?JgiXtjvA9HD2korXz486[#i>3$c';
const TRUST = { rpcBroker: PUBLIC, callers: [{ name: 'cli', key: PUBLIC, patterns: ['*'] }] };

function resolve(env: Record<string, string>) {
  return resolveBusSecurity(parseConfig(BusSecurityEnv, env));
}

describe('bus security config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bus-security-'));

  it('is CURVE by default and needs a key pair and a trust list', () => {
    expect(() => resolve({})).toThrow(ConfigError);
    expect(() => resolve({ BUS_PUBLIC_KEY: PUBLIC, BUS_SECRET_KEY: SECRET })).toThrow(/BUS_TRUST/);
  });

  it('reads the key pair and the trust list from files, with defaults for absent lists', () => {
    writeFileSync(join(dir, 'me.key.json'), JSON.stringify({ publicKey: PUBLIC, secretKey: SECRET }));
    writeFileSync(join(dir, 'trust.json'), JSON.stringify(TRUST));
    const security = resolve({
      BUS_KEY_FILE: join(dir, 'me.key.json'),
      BUS_TRUST_FILE: join(dir, 'trust.json'),
    });
    expect(security).toMatchObject({
      mode: 'curve',
      keyPair: { publicKey: PUBLIC, secretKey: SECRET },
      trust: { rpcBroker: PUBLIC, workers: [], publishers: [], members: [] },
    });
  });

  it('names what is wrong in one line: a bad key, an unknown field, a missing file', () => {
    expect(() => parseConfig(BusSecurityEnv, { BUS_PUBLIC_KEY: 'short' })).toThrow(/BUS_PUBLIC_KEY/);
    const trust = JSON.stringify({ ...TRUST, admins: [] });
    expect(() => resolve({ BUS_PUBLIC_KEY: PUBLIC, BUS_SECRET_KEY: SECRET, BUS_TRUST: trust })).toThrow(
      /BUS_TRUST/,
    );
    expect(() =>
      resolve({ BUS_KEY_FILE: join(dir, 'nowhere.json'), BUS_TRUST: JSON.stringify(TRUST) }),
    ).toThrow(/cannot read/);
  });

  it('gives a node replica its own member key, listed as a member and not the shared serving key', () => {
    const replica = { publicKey: 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7', secretKey: SECRET };
    const trust = {
      ...TRUST,
      members: [{ name: 'broadcast-node-0', key: replica.publicKey, kinds: ['broadcast'] }],
    };
    const shared = resolve({
      BUS_PUBLIC_KEY: PUBLIC,
      BUS_SECRET_KEY: SECRET,
      BUS_TRUST: JSON.stringify(trust),
    });
    writeFileSync(join(dir, 'replica.key.json'), JSON.stringify(replica));
    writeFileSync(join(dir, 'shared.key.json'), JSON.stringify({ publicKey: PUBLIC, secretKey: SECRET }));
    const unlisted = { publicKey: 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID', secretKey: SECRET };
    writeFileSync(join(dir, 'unlisted.key.json'), JSON.stringify(unlisted));

    const member = resolveMemberSecurity(shared, { BUS_MEMBER_KEY_FILE: join(dir, 'replica.key.json') });
    expect(member).toMatchObject({
      mode: 'curve',
      keyPair: replica,
      trust: shared.mode === 'curve' ? shared.trust : {},
    });
    expect(() => resolveMemberSecurity(shared, {})).toThrow(/BUS_MEMBER_KEY_FILE/);
    expect(() =>
      resolveMemberSecurity(shared, { BUS_MEMBER_KEY_FILE: join(dir, 'shared.key.json') }),
    ).toThrow(/shared serving key/);
    expect(() =>
      resolveMemberSecurity(shared, { BUS_MEMBER_KEY_FILE: join(dir, 'unlisted.key.json') }),
    ).toThrow(/not among the trust list's members/);
    expect(resolveMemberSecurity({ mode: 'off', reason: 'x' }, {})).toEqual({ mode: 'off', reason: 'x' });
  });

  it('turns off only when told to', () => {
    expect(resolve({ BUS_SECURITY: 'off' })).toEqual({ mode: 'off', reason: 'BUS_SECURITY=off' });
    expect(() => parseConfig(BusSecurityEnv, { BUS_SECURITY: 'none' })).toThrow(ConfigError);
  });
});
