/**
 * The only module that knows the UI toolkit. Panels ask it for controls; swapping the toolkit for
 * another web-component library means changing this file alone.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeDivider, vsCodeDropdown, vsCodeOption } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider(), vsCodeDropdown(), vsCodeOption(), vsCodeCheckbox());
  registered = true;
}

export function button(label: string, onClick: () => void, options: { secondary?: boolean; testId?: string } = {}): HTMLElement {
  const el = document.createElement('vscode-button');
  el.textContent = label;
  if (options.secondary) el.setAttribute('appearance', 'secondary');
  if (options.testId) el.dataset.testid = options.testId;
  el.addEventListener('click', onClick);
  return el;
}

/**
 * A badge. Not the toolkit's: its template binds a style attribute, which the webviews' CSP (no
 * 'unsafe-inline') blocks; shell.css gives this span the badge's theme colours.
 */
export function badge(text: string, tone?: 'good' | 'bad' | 'warning'): HTMLElement {
  const el = document.createElement('span');
  el.className = tone ? `badge ${tone}` : 'badge';
  el.textContent = text;
  return el;
}

/** A tag: a themed span, for the same reason as {@link badge} (the toolkit's tag is its badge). */
export function tag(text: string, tone?: 'bad'): HTMLElement {
  const el = document.createElement('span');
  el.className = tone ? `tag ${tone}` : 'tag';
  el.textContent = text;
  return el;
}

export function divider(): HTMLElement {
  return document.createElement('vscode-divider');
}

/** A labelled single choice; `onChange` gets the chosen value. */
export function dropdown(label: string, choices: { value: string; label: string }[], value: string, onChange: (value: string) => void, testId?: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  wrap.append(document.createTextNode(label));
  const el = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  el.setAttribute('aria-label', label);
  if (testId) el.dataset.testid = testId;
  for (const c of choices) {
    const option = document.createElement('vscode-option') as HTMLElement & { value: string };
    option.setAttribute('value', c.value);
    option.textContent = c.label;
    if (c.value === value) option.setAttribute('selected', '');
    el.append(option);
  }
  el.addEventListener('change', () => onChange(el.value));
  wrap.append(el);
  return wrap;
}

/** A checkbox; `onChange` gets the new state. */
export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, testId?: string): HTMLElement {
  const el = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  el.textContent = label;
  if (checked) el.setAttribute('checked', '');
  if (testId) el.dataset.testid = testId;
  el.addEventListener('change', () => onChange(el.checked));
  return el;
}

/**
 * A labelled range slider. The toolkit has none, so this is a native range input styled with the
 * theme's variables (shell.css); it is keyboard operable (arrows, Page Up/Down, Home/End).
 */
export function slider(label: string, range: { min: number; max: number; step: number }, value: number, onInput: (value: number) => void, testId?: string): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'control';
  wrap.append(document.createTextNode(label));
  const input = document.createElement('input');
  input.type = 'range';
  input.className = 'slider';
  input.min = String(range.min);
  input.max = String(range.max);
  input.step = String(range.step);
  input.value = String(value);
  if (testId) input.dataset.testid = testId;
  const shown = document.createElement('span');
  shown.className = 'muted slider-value';
  shown.textContent = value.toFixed(2);
  input.addEventListener('input', () => {
    shown.textContent = Number(input.value).toFixed(2);
    onInput(Number(input.value));
  });
  wrap.append(input, shown);
  return wrap;
}
