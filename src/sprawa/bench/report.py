"""Figures of a benchmark run: throughput and latency percentiles, a table and a p99 bar chart."""

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sprawa.bench.load import Samples

TARGET_P99_MS = 50.0
_EIGHTHS = " ▏▎▍▌▋▊▉"


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); ``sorted_values`` must be sorted."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass
class OpFigures:
    name: str
    requests: int
    errors: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    error_kinds: dict[str, int]
    error_examples: list[str]


def figures(
    name: str, latencies: list[float], errors: Mapping[str, int], seconds: float, examples: list[str]
) -> OpFigures:
    values = sorted(latencies)
    n_errors = sum(errors.values())
    ms = 1000.0
    return OpFigures(
        name=name,
        requests=len(values) + n_errors,
        errors=n_errors,
        throughput=(len(values) + n_errors) / seconds,
        p50_ms=percentile(values, 0.50) * ms,
        p95_ms=percentile(values, 0.95) * ms,
        p99_ms=percentile(values, 0.99) * ms,
        max_ms=(values[-1] if values else math.nan) * ms,
        mean_ms=(sum(values) / len(values) if values else math.nan) * ms,
        error_kinds=dict(errors),
        error_examples=list(examples),
    )


@dataclass
class BenchReport:
    operations: list[OpFigures]
    overall: OpFigures
    seconds: float
    clients: int
    client_cpu: float
    context: dict[str, Any]

    @classmethod
    def build(cls, samples: Samples, *, clients: int, context: dict[str, Any]) -> "BenchReport":
        ops = [
            figures(
                name,
                samples.latencies.get(name, []),
                samples.errors.get(name, {}),
                samples.seconds,
                samples.error_examples.get(name, []),
            )
            for name in samples.latencies
        ]
        all_latencies = [v for values in samples.latencies.values() for v in values]
        all_errors: dict[str, int] = {}
        for counter in samples.errors.values():
            for kind, count in counter.items():
                all_errors[kind] = all_errors.get(kind, 0) + count
        overall = figures("overall", all_latencies, all_errors, samples.seconds, [])
        return cls(
            operations=ops,
            overall=overall,
            seconds=samples.seconds,
            clients=clients,
            client_cpu=samples.client_cpu_seconds / samples.seconds,
            context=context,
        )

    @property
    def total_errors(self) -> int:
        return self.overall.errors

    def as_dict(self) -> dict[str, Any]:
        def clean(op: OpFigures) -> dict[str, Any]:
            return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(op).items()}

        return {
            **self.context,
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "client_cpu_cores": round(self.client_cpu, 2),
            "target_p99_ms": TARGET_P99_MS,
            "operations": {op.name: clean(op) for op in self.operations},
            "overall": clean(self.overall),
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n")

    def render(self, width: int = 40) -> str:
        lines = [
            f"{'operation':<11}{'req':>8}{'req/s':>9}{'err':>6}{'p50 ms':>9}{'p95 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}",
            "─" * 70,
        ]
        for op in [*self.operations, self.overall]:
            if op is self.overall:
                lines.append("─" * 70)
            lines.append(
                f"{op.name:<11}{op.requests:>8,}{op.throughput:>9.1f}{op.errors:>6}"
                f"{_ms(op.p50_ms):>9}{_ms(op.p95_ms):>9}{_ms(op.p99_ms):>9}{_ms(op.max_ms):>9}"
            )
        lines += ["", f"p99 per operation (│ marks the {TARGET_P99_MS:.0f} ms target)", ""]
        lines += self.chart(width)
        lines += [
            "",
            f"{self.clients} closed-loop clients for {self.seconds:.1f} s; "
            f"the client process used {self.client_cpu:.2f} CPU cores.",
        ]
        for op in self.operations:
            for example in op.error_examples:
                lines.append(f"  error example ({op.name}): {example}")
        return "\n".join(lines)

    def chart(self, width: int = 40) -> list[str]:
        values = [op.p99_ms for op in self.operations if not math.isnan(op.p99_ms)]
        scale = max([TARGET_P99_MS * 1.25, *values]) / width
        target_col = round(TARGET_P99_MS / scale)
        out = []
        for op in self.operations:
            value = 0.0 if math.isnan(op.p99_ms) else op.p99_ms
            bar = list(_bar(value / scale).ljust(width))
            if target_col < width and bar[target_col] == " ":
                bar[target_col] = "│"
            mark = "ok" if value <= TARGET_P99_MS and not math.isnan(op.p99_ms) else "SLOW"
            out.append(f"{op.name:<11}{''.join(bar)} {_ms(op.p99_ms):>8} ms  {mark}")
        return out


def _bar(cells: float) -> str:
    full = int(cells)
    rest = int((cells - full) * 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"
