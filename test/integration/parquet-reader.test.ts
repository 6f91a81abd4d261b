// The Parquet reader: whole row groups when they fit the slice budget, else as few slices as the
// budget allows, and every batch handed on of at most the rows asked for — in order, nothing lost.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parquetWriteFile } from 'hyparquet-writer';
import { parquetBatches, parquetColumns } from '../../server/src/data/parquet';
import { tempDir } from '../helpers/paths';

const GROUPS = [5000, 20_000, 7];
const total = GROUPS.reduce((a, b) => a + b, 0);

function writeFile(path: string, rowGroupSize: number[]): void {
  const ids = Array.from({ length: total }, (_, i) => `r${i}`);
  const values = Array.from({ length: total }, (_, i) => i * 0.5);
  parquetWriteFile({ filename: path, columnData: [{ name: 'id', data: ids, type: 'STRING' }, { name: 'x', data: values, type: 'DOUBLE' }], rowGroupSize });
}

for (const [label, sliceBytes] of [['whole groups', undefined], ['groups in slices of ~10 KB', 10_000]] as const) {
  test(`Parquet batches: ${label}`, async () => {
    const path = join(tempDir('parquet-reader'), 't.parquet');
    writeFile(path, GROUPS);
    const pq = await parquetColumns(path);
    assert.deepEqual(pq.metadata.row_groups.map((g) => Number(g.num_rows)), GROUPS);
    assert.deepEqual(pq.columns, ['id', 'x']);
    const seen: number[] = [];
    let lastBytes = 0;
    for await (const batch of parquetBatches(pq, 4096, sliceBytes)) {
      assert.ok(batch.rows.length > 0 && batch.rows.length <= 4096, `a batch of ${batch.rows.length} rows`);
      assert.ok(batch.bytes >= lastBytes && batch.bytes <= pq.file.byteLength, 'progress only grows, up to the file size');
      lastBytes = batch.bytes;
      for (const row of batch.rows) {
        const i = seen.length;
        assert.deepEqual(row, [`r${i}`, i * 0.5]);
        seen.push(i);
      }
    }
    assert.equal(seen.length, total);
  });
}
