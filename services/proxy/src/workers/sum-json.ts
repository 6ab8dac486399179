/**
 * Adds up the workers' answers to a stats route (e.g. `GET /_graylane/sessions`): numbers are
 * summed, objects merged key by key the same way, anything else is taken from the first answer
 * that has it. So counters read the same whether a proxy runs one process or N workers.
 */
export function sumJson(answers: readonly unknown[]): unknown {
  if (answers.length === 0) return {};
  if (answers.every((answer) => typeof answer === 'number')) return (answers as number[]).reduce((a, b) => a + b, 0);
  if (answers.every((answer) => typeof answer === 'object' && answer !== null && !Array.isArray(answer))) {
    const records = answers as Record<string, unknown>[];
    const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
    return Object.fromEntries(keys.map((key) => [key, sumJson(records.map((record) => record[key]).filter((value) => value !== undefined))]));
  }
  return answers[0];
}
