/**
 * The repository root, for helpers under test/ that locate it through MLOPS_REPO (or from their own
 * compiled location, which for a bench bundle in out/bench/ would be wrong). Import this first.
 */
import { resolve } from 'node:path';

process.env.MLOPS_REPO ??= resolve(__dirname, '..', '..');

export const ROOT: string = process.env.MLOPS_REPO;
