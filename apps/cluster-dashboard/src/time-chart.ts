import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart. */
export interface ChartLine {
  label: string;
  color: string;
  /** One value per sample; null where there is none (a node that was not there). */
  values: (number | null)[];
}

const HEIGHT = 190;
const AXIS = {
  stroke: '#8da2b5',
  grid: { stroke: 'rgba(141, 162, 181, 0.12)', width: 1 },
  ticks: { show: false },
};

/**
 * A uPlot time chart in a container: data replaced on each update, rebuilt only when its lines
 * change (a node came or went), and resized with its container.
 */
export class TimeChart {
  private plot: uPlot | undefined;
  private labels = '';

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  /** `at`: epoch ms of each sample. */
  update(at: readonly number[], lines: readonly ChartLine[]): void {
    const data: uPlot.AlignedData = [at.map((ms) => ms / 1000), ...lines.map((line) => line.values)];
    const labels = lines.map((line) => `${line.label}:${line.color}`).join('|');
    if (this.plot !== undefined && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.labels = labels;
    this.plot = new uPlot(this.options(lines), data, this.container);
  }

  private options(lines: readonly ChartLine[]): uPlot.Options {
    return {
      ...this.size(),
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [AXIS, { ...AXIS, size: 48 }],
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          fill: `${line.color}1f`,
          points: { show: false },
        })),
      ],
    };
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, Math.floor(this.container.clientWidth)), height: HEIGHT };
  }
}
