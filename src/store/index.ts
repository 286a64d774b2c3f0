export { Store, type StoreOptions, type StoreSettings, type StoreStats, type CommitListener } from './store.js';
export { openReadOnly, openReadWrite, StoreReader } from './reader.js';
export { openDatabase, openDatabaseReadOnly, type Synchronous } from './db.js';
export type { PruneResult } from './retention.js';
export type {
  AlertEventRecord, AlertFilter, AlertRecord, AlertState, DiagnosisRecord, HistoryFilter, SensorRecord,
} from './rows.js';
