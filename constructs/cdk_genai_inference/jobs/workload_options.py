"""The AIPerf settings of a workload: the typed options, the parameter names they render to, and their checks.

Every documented workload ``parameters`` name is the snake_case of its AIPerf CLI flag
(``--prompt-input-tokens-mean`` -> ``prompt_input_tokens_mean``); so are the repeated-run options
(``repeated_runs``), which the SageMaker documentation does not list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Tokenization

from .._core.validation import check_choice, check_duration, check_range, unresolved
from ..errors import ValidationError
from .repeated_runs import UNDOCUMENTED_PARAMETERS, RepeatedRuns, check_repeated_runs

SEARCH_STATISTICS = ("avg", "p50", "p90", "p95", "p99")


_TYPED = {
    **dict.fromkeys(
        [
            "prompt_input_tokens_mean",
            "synthetic_input_tokens_mean",
            "isl",
            "prompt_input_tokens_stddev",
            "synthetic_input_tokens_stddev",
            "isl_stddev",
        ],
        "input_tokens",
    ),
    **dict.fromkeys(
        [
            "output_tokens_mean",
            "prompt_output_tokens_mean",
            "osl",
            "output_tokens_stddev",
            "prompt_output_tokens_stddev",
            "osl_stddev",
        ],
        "output_tokens",
    ),
    **dict.fromkeys(["request_count", "num_requests"], "request_count"),
    **dict.fromkeys(
        [
            "search_recipe",
            "ttft_sla_ms",
            "tpot_sla_ms",
            "e2e_sla_ms",
            "error_rate_sla",
            "search_stat",
            "concurrency_min",
            "concurrency_max",
            "search_max_iterations",
        ],
        "sla_search",
    ),
    **dict.fromkeys(UNDOCUMENTED_PARAMETERS, "repeated_runs"),
    **{
        name: name
        for name in ("concurrency", "request_rate", "benchmark_duration", "streaming", "tokenizer", "goodput")
    },
}
"""Parameters the typed arguments own (with their aliases): they go through those arguments."""

_UNTYPED_PARAMETERS = (
    "HF_TOKEN",
    "arrival_pattern",
    "arrival_smoothness",
    "batch_size_image",
    "benchmark_grace_period",
    "conversation_num",
    "custom_dataset_type",
    "dataset_sampling_strategy",
    "extra_inputs",
    "hf_token",
    "image_batch_size",
    "image_format",
    "image_height_mean",
    "image_height_stddev",
    "image_width_mean",
    "image_width_stddev",
    "input_file",
    "max_concurrency",
    "model",
    "model_selection_strategy",
    "num_conversations",
    "num_sessions",
    "num_warmup_requests",
    "num_warmup_sessions",
    "prefill_concurrency",
    "public_dataset",
    "random_seed",
    "request_rate_mode",
    "request_timeout_seconds",
    "verbose",
    "video_audio_codec",
    "video_audio_depth",
    "video_audio_num_channels",
    "video_audio_sample_rate",
    "video_batch_size",
    "video_codec",
    "video_duration",
    "video_format",
    "video_fps",
    "video_height",
    "video_synth_type",
    "video_width",
    "vllm_burstiness",
    "warmup_arrival_pattern",
    "warmup_concurrency",
    "warmup_duration",
    "warmup_grace_period",
    "warmup_prefill_concurrency",
    "warmup_request_count",
    "warmup_request_rate",
)

AIPERF_PARAMETERS: frozenset[str] = frozenset(_UNTYPED_PARAMETERS) | frozenset(_TYPED)
"""The workload specification's ``parameters`` (with aliases) from the SageMaker documentation, plus the
``UNDOCUMENTED_PARAMETERS`` of ``repeated_runs``; the service rejects unknown names, so the construct does too."""


@dataclass(frozen=True)
class TokenDistribution:
    """A normal distribution of token counts per request."""

    mean: int
    stddev: float = 0


@dataclass(frozen=True)
class SlaSearch:
    """Find the highest concurrency that still meets the SLA (``max-concurrency-under-sla``).

    Give at least one threshold. ``ttft_ms`` and ``tpot_ms`` need streaming. The answer lands in
    ``search_history.json`` (``boundary_summary.feasible_max.value``).

    Args:
        ttft_ms: Time to first token. Default: - not constrained
        tpot_ms: Time per output token. Default: - not constrained
        e2e_ms: End-to-end request latency. Default: - not constrained
        error_rate: Highest error fraction, e.g. 0.01. Default: - not constrained
        statistic: Which statistic must meet the thresholds: avg, p50, p90, p95 or p99. Default: avg
        concurrency_min: Lowest level tried. Default: - service default
        concurrency_max: Highest level tried. Default: - service default
        max_iterations: Search steps. Default: - service default
    """

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None
    error_rate: float | None = None
    statistic: str = "avg"
    concurrency_min: int | None = None
    concurrency_max: int | None = None
    max_iterations: int | None = None

    def parameters(self) -> dict[str, Any]:
        values = {
            "search_recipe": "max-concurrency-under-sla",
            "ttft_sla_ms": self.ttft_ms,
            "tpot_sla_ms": self.tpot_ms,
            "e2e_sla_ms": self.e2e_ms,
            "error_rate_sla": self.error_rate,
            "search_stat": self.statistic,
            "concurrency_min": self.concurrency_min,
            "concurrency_max": self.concurrency_max,
            "search_max_iterations": self.max_iterations,
        }
        return {k: v for k, v in values.items() if v is not None}


def typed_parameters(
    input_tokens: TokenDistribution | None,
    output_tokens: TokenDistribution | None,
    concurrency: int | Sequence[int] | None,
    request_count: int | None,
    request_rate: float | None,
    benchmark_duration: Duration | None,
    streaming: bool | None,
    tokenizer: str | None,
    goodput: Mapping[str, float] | None,
    sla_search: SlaSearch | None,
    repeated_runs: RepeatedRuns | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for arg, dist, prefix in (
        ("input_tokens", input_tokens, "prompt_input_tokens"),
        ("output_tokens", output_tokens, "output_tokens"),
    ):
        if dist is None:
            continue
        check_range(f"{arg}.mean", dist.mean, 1, None)
        check_range(f"{arg}.stddev", dist.stddev, 0, None)
        params[f"{prefix}_mean"] = dist.mean
        if dist.stddev:
            params[f"{prefix}_stddev"] = dist.stddev
    if concurrency is not None:
        levels = [concurrency] if isinstance(concurrency, int | float) else list(concurrency)
        if not levels:
            raise ValidationError("concurrency needs at least one level, got an empty list")
        for level in levels:
            check_range("concurrency", level, 1, None)
        params["concurrency"] = concurrency if isinstance(concurrency, int | float) else levels
    check_range("request_count", request_count, 1, None)
    if request_rate is not None and not unresolved(request_rate) and request_rate <= 0:
        raise ValidationError(f"request_rate must be positive (requests per second), got {request_rate:g}")
    check_duration("benchmark_duration", benchmark_duration, 1, None)
    values = {
        "request_count": request_count,
        "request_rate": request_rate,
        "benchmark_duration": int(benchmark_duration.to_seconds()) if benchmark_duration else None,
        "streaming": streaming,
        "tokenizer": tokenizer,
    }
    params.update({k: v for k, v in values.items() if v is not None})
    if goodput:
        if streaming is False:
            raise ValidationError("goodput needs streaming responses; streaming is False")
        for metric, threshold in goodput.items():
            check_range(f"goodput[{metric!r}]", threshold, 0, None, "ms")
        params["goodput"] = " ".join(f"{metric}:{_number(threshold)}" for metric, threshold in goodput.items())
    if sla_search is not None:
        _check_sla_search(sla_search, concurrency, streaming)
        params.update(sla_search.parameters())
    if repeated_runs is not None:
        check_repeated_runs(repeated_runs, streaming)
        params.update(repeated_runs.parameters())
    return params


def _number(value: float) -> str:
    """``value`` in a string; a deploy-time one as its token (``:g`` would print the token's digits)."""
    return Tokenization.stringify_number(value) if unresolved(value) else f"{value:g}"


def _check_sla_search(search: SlaSearch, concurrency: object, streaming: bool | None) -> None:
    if concurrency is not None:
        raise ValidationError(
            "sla_search chooses the concurrency itself; do not also set concurrency "
            f"(got {concurrency!r}), bound the search with concurrency_min and concurrency_max"
        )
    thresholds = (search.ttft_ms, search.tpot_ms, search.e2e_ms, search.error_rate)
    if all(t is None for t in thresholds):
        raise ValidationError("sla_search needs at least one of ttft_ms, tpot_ms, e2e_ms and error_rate")
    if streaming is False and (search.ttft_ms is not None or search.tpot_ms is not None):
        raise ValidationError("sla_search.ttft_ms and tpot_ms need streaming responses; streaming is False")
    check_choice("sla_search.statistic", search.statistic, SEARCH_STATISTICS, "search statistic")
    check_range("sla_search.error_rate", search.error_rate, 0, 1)
    for arg in ("ttft_ms", "tpot_ms", "e2e_ms"):
        check_range(f"sla_search.{arg}", getattr(search, arg), 0, None, "ms")
    check_range("sla_search.concurrency_min", search.concurrency_min, 1, None)
    check_range("sla_search.concurrency_max", search.concurrency_max, 1, None)
    low, high = search.concurrency_min, search.concurrency_max
    if low is not None and high is not None and not unresolved(low) and not unresolved(high) and high < low:
        raise ValidationError(f"sla_search.concurrency_max must be at least concurrency_min ({low}), got {high}")
    check_range("sla_search.max_iterations", search.max_iterations, 1, None)


def check_extra_parameters(parameters: Mapping[str, Any]) -> None:
    for key in parameters:
        check_choice("parameters", key, AIPERF_PARAMETERS, "AIPerf parameter")
        if key in _TYPED:
            raise ValidationError(f"parameters[{key!r}] is set through the {_TYPED[key]} argument; pass it there")
