import type { AbDashboardToHost, ChartsToHost, CompareToHost, DriftToHost, HostToWebview } from '../../server/src/contract';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

// A style or script the CSP blocks is silently missing from the page: say which one and from where,
// in the webview's console (the e2e tests fail on any).
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation (${e.violatedDirective}): ${e.sample || '(no sample)'} at ${e.sourceFile || 'inline'}:${e.lineNumber}:${e.columnNumber}`);
});

/** Typed messages to the extension host. */
export function post(message: ChartsToHost | AbDashboardToHost | CompareToHost | DriftToHost): void {
  api.postMessage(message);
}

/** The panel's state, kept by VS Code while the panel is hidden and (with a serializer) across restarts. */
export function getState(): unknown {
  return api.getState();
}

export function setState(state: unknown): void {
  api.setState(state);
}

/** Listen for the host's messages, then tell it we are ready (it posts nothing before that). */
export function connect<Data>(onMessage: (message: HostToWebview<Data>) => void): void {
  window.addEventListener('message', (event: MessageEvent<HostToWebview<Data>>) => onMessage(event.data));
  post({ type: 'initialized' });
}
