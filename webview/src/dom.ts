/** A paragraph of plain text (never markup): class "muted" for notes, "error" for failures. */
export function paragraph(text: string, className = 'muted'): HTMLElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}

/** What stands in the place of a chart that could not be drawn. */
export function chartFailure(error: unknown): HTMLElement {
  return paragraph(`Could not draw the chart: ${error instanceof Error ? error.message : String(error)}`, 'error');
}
