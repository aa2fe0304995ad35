"""spec.Secrets: a failure names the field and the rule, never a value that was secret."""

from __future__ import annotations

from pulumi_vertex_training.spec.failures import SECRET, Secrets, SpecFailure, missing

TOKEN = "S3CR3T-TOKEN-value"


def shown(secrets: Secrets, failure: SpecFailure) -> str:
    (masked,) = secrets.mask([failure])
    return str(masked)


def test_a_secret_value_is_shown_as_secret() -> None:
    failure = SpecFailure('labels["token"]', "label values may contain only ...", TOKEN)
    assert str(failure).endswith(f"(got {TOKEN!r})")
    text = shown(Secrets.of([TOKEN]), failure)
    assert text == 'labels["token"]: label values may contain only ... (got [secret])'


def test_a_value_holding_or_containing_a_secret_is_masked_and_others_are_not() -> None:
    secrets = Secrets.of([TOKEN])
    assert secrets.holds({"env": [{"name": "K", "value": TOKEN}]})
    assert secrets.holds(f"projects/{TOKEN.lower()}/global/networks/n")  # inside, any case
    assert secrets.holds(TOKEN[:8])  # a part long enough to find
    assert not secrets.holds("n1-standard-4")
    assert shown(secrets, SpecFailure("x", "bad", "plain")).endswith("(got 'plain')")


def test_short_and_non_string_secrets_match_only_as_whole_values() -> None:
    secrets = Secrets.of(["ab", 3, True])
    assert secrets.holds("ab") and secrets.holds(3) and secrets.holds(3.0) and secrets.holds(True)
    assert not secrets.holds("tab") and not secrets.holds(1) and not secrets.holds(False)
    assert secrets.scrub("must be 3 or more, got 'ab'") == f"must be 3 or more, got {SECRET}"


def test_quoted_text_derived_from_a_secret_is_scrubbed_from_the_reason() -> None:
    secrets = Secrets.of(["N1-Standard-4 "])
    reason = "machine types are lowercase; did you mean 'n1-standard-4'?"
    assert secrets.scrub(reason) == f"machine types are lowercase; did you mean {SECRET}?"
    network = Secrets.of(["projects/my-proj/global/networks/n"])
    reason = "use the project number, not the project id 'my-proj': projects/{n}/..."
    assert "my-proj" not in network.scrub(reason)
    assert network.scrub("must start with '/'") == "must start with '/'"  # a rule, not data


def test_long_secrets_are_scrubbed_wherever_they_appear() -> None:
    reason = f"image reference {TOKEN}/x must start with a registry host"
    assert TOKEN not in Secrets.of([TOKEN]).scrub(reason)


def test_the_keys_of_a_secret_map_are_masked_in_paths_field_names_are_not() -> None:
    secrets = Secrets.of([{"team": "ml", TOKEN: "x"}])
    assert secrets.scrub_path(f'labels["{TOKEN}"]') == f'labels["{SECRET}"]'
    assert secrets.scrub_path('labels["other"]') == 'labels["other"]'
    failure = SpecFailure(f'labels["{TOKEN}"]', "label keys must start with a lowercase", TOKEN)
    assert TOKEN not in shown(secrets, failure)
    whole_spec = Secrets.of([{"worker_pool_specs": [{"replica_count": 1}]}])
    assert whole_spec.scrub_path("job_spec.worker_pool_specs[0]") == (
        "job_spec.worker_pool_specs[0]"
    )


def test_failures_without_a_value_keep_their_reason_and_no_secrets_change_nothing() -> None:
    failures = [missing("project", "project is not set"), SpecFailure("x", "bad", TOKEN)]
    assert Secrets().mask(failures) == failures
    assert not Secrets() and Secrets.of([TOKEN])
    assert str(Secrets.of([TOKEN]).mask(failures)[0]) == "project: project is not set"
