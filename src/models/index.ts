// models: filled in by its issue; re-exported from src/index.ts.
export {};
