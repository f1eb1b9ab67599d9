import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('verifies the password it hashed and nothing else', async () => {
    const encoded = await hasher.hash('correct horse battery');
    await expect(hasher.verify('correct horse battery', encoded)).resolves.toBe(true);
    await expect(hasher.verify('correct horse batterY', encoded)).resolves.toBe(false);
  });

  it('stores the scrypt parameters and a random salt with each hash', async () => {
    const [first, second] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(first).not.toBe(second);
  });

  it('checks a hash made with other parameters by the parameters stored in it', async () => {
    const encoded = await hasher.hash('long enough password');
    const cheaper = encoded.replace('scrypt$16384$', 'scrypt$1024$');
    // Same salt and key but a different N: the derived key differs, so the check must fail.
    await expect(hasher.verify('long enough password', cheaper)).resolves.toBe(false);
  });

  it('treats an unreadable hash as a mismatch', async () => {
    await expect(hasher.verify('whatever password', 'plain-text')).resolves.toBe(false);
    await expect(hasher.verifyNothing('whatever password')).resolves.toBe(false);
  });
});
