import path from 'node:path';

/** This project's own trusted documents manifest, as `npm run codegen` writes it (codegen.yml). */
export const MANIFEST = path.join(
  __dirname,
  '..',
  '..',
  'examples',
  'generated',
  'persisted-documents.json',
);
