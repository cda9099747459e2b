// The bench's table (printed) and JSON (bench/results.json): the same figures in both.

export interface Row {
  figure: string;
  measure: string;
  value: string;
  reference?: string;
  ratio?: string;
  goal?: string;
  /** null: no goal for this row. */
  met?: boolean | null;
}

export interface ReportData {
  date: string;
  /** A quick run (small sizes, short rounds): its numbers mean nothing. */
  quick: boolean;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string; mariadb?: string };
  wallSeconds?: number;
  figures: Record<string, unknown>;
  rows: Row[];
  notes: Record<string, string[]>;
}

export class Report {
  readonly data: ReportData;

  constructor(head: Pick<ReportData, 'date' | 'quick' | 'machine'>) {
    this.data = { ...head, figures: {}, rows: [], notes: {} };
  }

  row(row: Row): void {
    this.data.rows.push(row);
  }

  /** The raw figures of one figure (every round), for the JSON. */
  figure(key: string, value: unknown): void {
    this.data.figures[key] = value;
  }

  note(figure: string, text: string): void {
    (this.data.notes[figure] ??= []).push(text);
  }

  print(): void {
    const headers = ['Figure', 'Measure', 'Value', 'Reference', 'Ratio', 'Goal', 'Met'];
    const cells = this.data.rows.map((r) => [
      r.figure,
      r.measure,
      r.value,
      r.reference ?? '',
      r.ratio ?? '',
      r.goal ?? '',
      r.met === undefined || r.met === null ? '' : r.met ? 'yes' : 'NO',
    ]);
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) =>
      c
        .map((text, i) => text.padEnd(widths[i]))
        .join(' | ')
        .trimEnd();
    console.log('');
    console.log(line(headers));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    let last = '';
    for (const c of cells) {
      const figure = c[0] === last ? '' : c[0];
      last = c[0];
      console.log(line([figure, ...c.slice(1)]));
    }
    for (const [figure, notes] of Object.entries(this.data.notes)) {
      console.log(`\n${figure}:`);
      for (const note of notes) console.log(`  - ${note}`);
    }
  }
}
