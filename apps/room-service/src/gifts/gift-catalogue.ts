import { readFileSync } from 'node:fs';
import { ErrorCode, Gift, RpcError } from '@live-im/contracts';
import { z } from 'zod';
import defaultGifts from './default-gifts.json';

/** A catalogue file: the contract's Gift entries, at least one, each id once. */
export const GiftList = z
  .array(Gift)
  .min(1)
  .max(1000)
  .superRefine((gifts, ctx) => {
    const seen = new Set<string>();
    for (const gift of gifts) {
      if (seen.has(gift.giftId))
        ctx.addIssue({ code: 'custom', message: `giftId ${gift.giftId} appears twice` });
      seen.add(gift.giftId);
    }
  });

/**
 * The catalogue from GIFT_CATALOGUE_FILE, or the one committed beside this file. Throws an Error
 * whose message is one line naming what is wrong, for the config error path.
 */
export function readGiftList(file: string | undefined): Gift[] {
  let raw: unknown = defaultGifts;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${file}: ${messageOf(error)}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file} is not JSON: ${messageOf(error)}`);
    }
  }
  const parsed = GiftList.safeParse(raw);
  if (parsed.success) return parsed.data;
  const where = file ?? 'the default catalogue';
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(root)'} ${issue.message}`,
  );
  throw new Error(`${where} is not a gift list: ${problems.join(', ')}`);
}

/** An error's message; fs and JSON errors may come from another realm (jest), so no instanceof. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The gifts users can send, looked up by id. Read once at boot; immutable afterwards. */
export class GiftCatalogue {
  private readonly byId: ReadonlyMap<string, Gift>;

  constructor(private readonly gifts: readonly Gift[]) {
    this.byId = new Map(gifts.map((gift) => [gift.giftId, gift]));
  }

  list(): Gift[] {
    return [...this.gifts];
  }

  /** NOT_FOUND for a gift the catalogue does not hold. */
  get(giftId: string): Gift {
    const gift = this.byId.get(giftId);
    if (gift === undefined) throw new RpcError(ErrorCode.NOT_FOUND, `no gift ${giftId}`);
    return gift;
  }
}
