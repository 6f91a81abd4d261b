import type { HostToWebview, WebviewToHost } from '../../server/src/contract';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

/** Typed messages to the extension host. */
export function post(message: WebviewToHost): void {
  api.postMessage(message);
}

/** Listen for the host's messages, then tell it we are ready (it posts nothing before that). */
export function connect<Data>(onMessage: (message: HostToWebview<Data>) => void): void {
  window.addEventListener('message', (event: MessageEvent<HostToWebview<Data>>) => onMessage(event.data));
  post({ type: 'initialized' });
}
