/**
 * CSV as RFC 4180 writes it: fields separated by commas, records by CRLF or LF; a field in double
 * quotes may hold commas, line breaks and doubled quotes (""). Enough for the example's data files.
 */

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Every record of a CSV text, as arrays of fields; a trailing line break does not add an empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first field
  let fieldStart = true;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    record = [];
    field = '';
    fieldStart = true;
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') throw new CsvError('a closing quote must end its field', line);
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      fieldStart = true;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    field += c;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new CsvError('a quoted field is not closed', line);
  if (!fieldStart || record.length > 0) endRecord();
  return records;
}

/** A CSV with a header row, as column names and rows of the same width. */
export interface CsvTable {
  columns: string[];
  rows: string[][];
}

export function parseCsvTable(text: string): CsvTable {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('no header row');
  rows.forEach((row, i) => {
    // Records, not lines: a quoted field may span lines.
    if (row.length !== header.length) throw new Error(`record ${i + 2}: ${row.length} fields where the header has ${header.length}`);
  });
  return { columns: header, rows };
}

function quoteField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV text with LF line breaks, quoting only the fields that need it. */
export function formatCsv(columns: string[], rows: (string | number)[][]): string {
  const lines = [columns.map(quoteField).join(',')];
  for (const row of rows) lines.push(row.map((v) => quoteField(String(v))).join(','));
  return lines.join('\n') + '\n';
}
