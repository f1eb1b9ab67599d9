import { chat as roomChat } from '../rpc/room/room.rpc';
import { Nickname } from '../rpc/user/user.schemas';
import { ChatRequest } from '../socket/events';
import { readableText } from './readable-text';

const chat = readableText(500);

describe('readableText: one rule for nicknames and chat', () => {
  it.each([
    ['plain', 'hello there'],
    ['accents and CJK', 'héllo 你好 مرحبا'],
    ['an emoji ZWJ sequence', 'family 👨\u200D👩\u200D👧'],
    ['a Persian ZWNJ', 'می\u200Cخواهم'],
  ])('accepts %s', (_what, text) => {
    expect(chat.safeParse(text).success).toBe(true);
    expect(Nickname.safeParse(text.slice(0, 32)).success).toBe(true);
  });

  it.each([
    ['a right-to-left override', 'abc\u202Egnp.exe'],
    ['a left-to-right embedding', '\u202Ahi'],
    ['a bidi isolate', 'hi\u2066there\u2069'],
    ['a right-to-left mark', 'x\u200Fy'],
    ['a zero-width space', 'ad\u200Bmin'],
    ['a newline', 'line\nbreak'],
    ['an escape', 'color\u001b[31m'],
    ['a NUL', 'a\u0000b'],
    ['a byte order mark', 'a\uFEFFb'],
    ['private use', 'a\uE000b'],
  ])('refuses %s in chat and in nicknames', (_what, text) => {
    expect(chat.safeParse(text).success).toBe(false);
    expect(Nickname.safeParse(text).success).toBe(false);
  });

  it('is what the chat event and room.chat validate with', () => {
    const override = 'nice \u202Eevil';
    expect(ChatRequest.shape.text.safeParse(override).success).toBe(false);
    expect(roomChat.request.shape.text.safeParse(override).success).toBe(false);
  });
});
