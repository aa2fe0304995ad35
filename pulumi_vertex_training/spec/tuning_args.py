"""Typed inputs of a HyperparameterTuningJob's study: one ``@dataclass`` per API message.

As in ``args.py`` (pulumi-gcp's input types): keyword-only, the fields the API marks
``Required.`` without default, every other field None ("not given"). Plain dicts
(snake_case or REST camelCase) are accepted wherever an ``XArgs`` is; ``to_plain``
turns a tree of them into dicts. The trial's job is a ``CustomJobSpecArgs``.

Example::

    StudySpecArgs(
        metrics=[MetricSpecArgs(metric_id="loss", goal="MINIMIZE")],
        parameters=[
            ParameterSpecArgs(
                parameter_id="lr",
                double_value_spec=DoubleValueSpecArgs(min_value=1e-4, max_value=1e-1),
                scale_type="UNIT_LOG_SCALE",
            ),
        ],
        algorithm="RANDOM_SEARCH",
    )
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .args import Duration, Input


@dataclass(kw_only=True)
class SafetyMetricConfigArgs:
    """StudySpec.MetricSpec.SafetyMetricConfig: a safety metric's threshold."""

    safety_threshold: Input[float] | None = None
    desired_min_safe_trials_fraction: Input[float] | None = None


@dataclass(kw_only=True)
class MetricSpecArgs:
    """StudySpec.MetricSpec: a metric the trainer reports (``metric_id``) and its goal."""

    metric_id: Input[str]
    goal: Input[str]  # MAXIMIZE or MINIMIZE
    safety_config: Input[SafetyMetricConfigArgs | Mapping[str, Any]] | None = None


@dataclass(kw_only=True)
class DoubleValueSpecArgs:
    """DoubleValueSpec: a real parameter in [min_value, max_value] (inclusive)."""

    min_value: Input[float]
    max_value: Input[float]
    default_value: Input[float] | None = None  # not supported by HyperparameterTuningJob


@dataclass(kw_only=True)
class IntegerValueSpecArgs:
    """IntegerValueSpec: a whole-number parameter in [min_value, max_value] (inclusive)."""

    min_value: Input[int]
    max_value: Input[int]
    default_value: Input[int] | None = None  # not supported by HyperparameterTuningJob


@dataclass(kw_only=True)
class CategoricalValueSpecArgs:
    """CategoricalValueSpec: one of ``values`` (strings)."""

    values: Input[Sequence[Input[str]]]
    default_value: Input[str] | None = None  # not supported by HyperparameterTuningJob


@dataclass(kw_only=True)
class DiscreteValueSpecArgs:
    """DiscreteValueSpec: one of ``values`` (numbers, increasing, at most 1,000)."""

    values: Input[Sequence[Input[float]]]
    default_value: Input[float] | None = None  # not supported by HyperparameterTuningJob


@dataclass(kw_only=True)
class DiscreteValueConditionArgs:
    """ConditionalParameterSpec.DiscreteValueCondition: parent DISCRETE values."""

    values: Input[Sequence[Input[float]]]


@dataclass(kw_only=True)
class IntValueConditionArgs:
    """ConditionalParameterSpec.IntValueCondition: parent INTEGER values."""

    values: Input[Sequence[Input[int]]]


@dataclass(kw_only=True)
class CategoricalValueConditionArgs:
    """ConditionalParameterSpec.CategoricalValueCondition: parent CATEGORICAL values."""

    values: Input[Sequence[Input[str]]]


@dataclass(kw_only=True)
class ConditionalParameterSpecArgs:
    """ConditionalParameterSpec: a parameter active only under some parent values.

    Give the condition matching the parent's type: ``parent_discrete_values``,
    ``parent_int_values`` or ``parent_categorical_values``.
    """

    parameter_spec: Input[ParameterSpecArgs | Mapping[str, Any]]
    parent_discrete_values: Input[DiscreteValueConditionArgs | Mapping[str, Any]] | None = None
    parent_int_values: Input[IntValueConditionArgs | Mapping[str, Any]] | None = None
    parent_categorical_values: Input[CategoricalValueConditionArgs | Mapping[str, Any]] | None = (
        None
    )


@dataclass(kw_only=True)
class ParameterSpecArgs:
    """StudySpec.ParameterSpec: a parameter passed to trials as ``--parameter_id=value``.

    Give exactly one of ``double_value_spec``, ``integer_value_spec``,
    ``categorical_value_spec``, ``discrete_value_spec``.
    """

    parameter_id: Input[str]
    double_value_spec: Input[DoubleValueSpecArgs | Mapping[str, Any]] | None = None
    integer_value_spec: Input[IntegerValueSpecArgs | Mapping[str, Any]] | None = None
    categorical_value_spec: Input[CategoricalValueSpecArgs | Mapping[str, Any]] | None = None
    discrete_value_spec: Input[DiscreteValueSpecArgs | Mapping[str, Any]] | None = None
    scale_type: Input[str] | None = None  # UNIT_LINEAR_SCALE, UNIT_LOG_SCALE, ...
    conditional_parameter_specs: (
        Input[Sequence[ConditionalParameterSpecArgs | Mapping[str, Any]]] | None
    ) = None


@dataclass(kw_only=True)
class DecayCurveAutomatedStoppingSpecArgs:
    """StudySpec.DecayCurveAutomatedStoppingSpec."""

    use_elapsed_duration: Input[bool] | None = None


@dataclass(kw_only=True)
class MedianAutomatedStoppingSpecArgs:
    """StudySpec.MedianAutomatedStoppingSpec."""

    use_elapsed_duration: Input[bool] | None = None


@dataclass(kw_only=True)
class ConvexAutomatedStoppingSpecArgs:
    """StudySpec.ConvexAutomatedStoppingSpec."""

    max_step_count: Input[int] | None = None
    min_step_count: Input[int] | None = None
    min_measurement_count: Input[int] | None = None
    learning_rate_parameter_name: Input[str] | None = None
    use_elapsed_duration: Input[bool] | None = None
    update_all_stopped_trials: Input[bool] | None = None


@dataclass(kw_only=True)
class StudyTimeConstraintArgs:
    """StudyTimeConstraint: ``max_duration`` or ``end_time`` (RFC 3339)."""

    max_duration: Input[Duration] | None = None
    end_time: Input[str] | None = None


@dataclass(kw_only=True)
class StudyStoppingConfigArgs:
    """StudySpec.StudyStoppingConfig (a Vertex Vizier setting)."""

    should_stop_asap: Input[bool] | None = None
    minimum_runtime_constraint: Input[StudyTimeConstraintArgs | Mapping[str, Any]] | None = None
    maximum_runtime_constraint: Input[StudyTimeConstraintArgs | Mapping[str, Any]] | None = None
    min_num_trials: Input[int] | None = None
    max_num_trials: Input[int] | None = None
    max_num_trials_no_progress: Input[int] | None = None
    max_duration_no_progress: Input[Duration] | None = None


@dataclass(kw_only=True)
class StudySpecArgs:
    """StudySpec: what to optimise (``metrics``, the first is the objective), over which
    ``parameters``, and how (``algorithm``: GRID_SEARCH, RANDOM_SEARCH or unset for
    Vertex's default; ``measurement_selection_type``: LAST_MEASUREMENT or
    BEST_MEASUREMENT)."""

    metrics: Input[Sequence[MetricSpecArgs | Mapping[str, Any]]]
    parameters: Input[Sequence[ParameterSpecArgs | Mapping[str, Any]]]
    algorithm: Input[str] | None = None
    observation_noise: Input[str] | None = None  # not supported by HyperparameterTuningJob
    measurement_selection_type: Input[str] | None = None
    decay_curve_stopping_spec: (
        Input[DecayCurveAutomatedStoppingSpecArgs | Mapping[str, Any]] | None
    ) = None
    median_automated_stopping_spec: (
        Input[MedianAutomatedStoppingSpecArgs | Mapping[str, Any]] | None
    ) = None
    convex_automated_stopping_spec: (
        Input[ConvexAutomatedStoppingSpecArgs | Mapping[str, Any]] | None
    ) = None
    study_stopping_config: Input[StudyStoppingConfigArgs | Mapping[str, Any]] | None = None
