import { JSON_SCHEMAS } from './json-schemas.js';

/** Each schema as the text of its JSON Schema file, keyed by file name. */
export function renderJsonSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(JSON_SCHEMAS)) {
    const document = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `https://graylane.dev/schemas/${name}.json`,
      title: name,
      ...(JSON.parse(JSON.stringify(schema)) as object),
    };
    files[`${name}.json`] = `${JSON.stringify(document, null, 2)}\n`;
  }
  return files;
}
