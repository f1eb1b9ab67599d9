export interface ElementOptions {
  className?: string;
  /** Set as textContent: user data is always text, never markup. */
  text?: string;
  /** Attribute names are the page's own constants; values may be anything (they are never parsed as markup). */
  attrs?: Readonly<Record<string, string>>;
  children?: readonly Node[];
}

/**
 * The one way the page builds elements: text through textContent and attributes through
 * setAttribute, so no user-supplied string is ever parsed as HTML.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className !== undefined) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (/^on/i.test(name) || name.toLowerCase() === 'style') {
      throw new Error(`element(): attribute ${name} is not set from data`);
    }
    node.setAttribute(name, value);
  }
  for (const child of options.children ?? []) node.append(child);
  return node;
}

/** An element of the static markup (index.html); missing means the page and its script disagree. */
export function requiredElement<T extends Element>(
  root: ParentNode,
  selector: string,
  type: abstract new (...args: never[]) => T,
): T {
  const found = root.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} ${selector}`);
  return found;
}

/** Removes `node` when its own CSS animation ends, or after `fallbackMs` (hidden tabs may never fire it). */
export function removeAfterAnimation(node: HTMLElement, fallbackMs: number, onRemoved?: () => void): void {
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    clearTimeout(timer);
    node.remove();
    onRemoved?.();
  };
  const timer = setTimeout(remove, fallbackMs);
  node.addEventListener('animationend', (event) => {
    // Children animate too; only the node's own animation ends its life.
    if (event.target === node) remove();
  });
}
