// A process of its own with one connection to a database (argv[2]), through the product's SQLite
// seam: it runs each line of standard input as SQL and answers "ok" or "error <message>".
import { createInterface } from 'node:readline';
import { openSqlite } from '../../server/src/sqlite';

const db = openSqlite(process.argv[2], { timeoutMs: 0 });
createInterface({ input: process.stdin }).on('line', (sql) => {
  try {
    db.exec(sql);
    console.log('ok');
  } catch (error) {
    console.log(`error ${(error as Error).message}`);
  }
});
