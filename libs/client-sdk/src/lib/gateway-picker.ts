/**
 * Which gateway a connection attempt goes to. The first attempt takes the first URL (an app lists
 * its preferred gateway first); every later one takes a random URL other than the one the last
 * attempt used, so the users of a gateway that dies spread over the others instead of all
 * landing on the next one in the list.
 */
export class GatewayPicker {
  private last: string | undefined;

  constructor(
    private readonly urls: readonly string[],
    private readonly random: () => number = Math.random,
  ) {
    if (urls.length === 0) throw new Error('GatewayPicker: at least one URL');
  }

  next(): string {
    const others = this.last === undefined ? [] : this.urls.filter((url) => url !== this.last);
    let url: string;
    if (this.last === undefined) url = this.urls[0];
    else if (others.length === 0) url = this.last;
    else url = others[Math.min(others.length - 1, Math.floor(this.random() * others.length))];
    this.last = url;
    return url;
  }
}
