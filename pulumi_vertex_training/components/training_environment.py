"""``TrainingEnvironment``: what Vertex AI jobs run inside, as pulumi-gcp resources.

A service account for jobs with the roles they need, a staging bucket, an
Artifact Registry Docker repository and, optionally, the VPC peering that
lets jobs reach private addresses. Its outputs are shaped for
``vt.CustomJob`` / ``vt.TrainingJob`` arguments. Needs the ``gcp`` extra
(``pip install pulumi-vertex-training[gcp]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from pulumi_vertex_training.components.environment_args import (
    NetworkRef,
    default_id,
    parse_network,
    validate_environment_args,
)

try:
    import pulumi_gcp as gcp
except ImportError as err:  # pragma: no cover - exercised through the package's __getattr__
    raise ImportError(
        "vt.TrainingEnvironment needs pulumi-gcp: pip install pulumi-vertex-training[gcp]"
    ) from err

JOB_ROLES = {"roles/aiplatform.user": "aiplatform-user", "roles/logging.logWriter": "log-writer"}
"""Project-level roles of the jobs' service account (and the suffix of their binding's name)."""
BUCKET_ROLE = "roles/storage.objectAdmin"
"""The jobs' role on the staging bucket (bucket-level, not project-wide)."""
REPOSITORY_ROLE = "roles/artifactregistry.reader"
"""The jobs' role on the Docker repository (repository-level)."""
PEERING_SERVICE = "servicenetworking.googleapis.com"
"""The service producer Vertex AI peers through (private services access)."""


class TrainingEnvironment(pulumi.ComponentResource):
    """A service account, staging bucket, Docker repository and (optionally) VPC peering
    for Vertex AI training jobs, with outputs shaped for the jobs' arguments.

    Children (all pulumi-gcp resources, parented to this component):

    - ``{name}-sa``: ``gcp.serviceaccount.Account`` the jobs run as, bound to
      ``roles/aiplatform.user`` and ``roles/logging.logWriter`` on the project
      (``{name}-aiplatform-user``, ``{name}-log-writer``), ``roles/storage.objectAdmin``
      on the staging bucket (``{name}-bucket-object-admin``) and
      ``roles/artifactregistry.reader`` on the repository (``{name}-repository-reader``);
    - ``{name}-bucket``: ``gcp.storage.Bucket`` in ``region``, uniform bucket-level access;
    - ``{name}-repository``: ``gcp.artifactregistry.Repository``, format DOCKER, in ``region``;
    - with ``create_peering``: ``{name}-network`` (a ``gcp.compute.Network``, only when
      ``network`` is None), ``{name}-peering-range`` (a ``gcp.compute.GlobalAddress``,
      purpose VPC_PEERING) and ``{name}-peering`` (a ``gcp.servicenetworking.Connection``).

    Outputs: ``service_account`` (email), ``network``
    (``projects/{project_number}/global/networks/{name}``, the form Vertex wants;
    None without a network), ``reserved_ip_ranges`` (the peering range's name;
    None without peering), ``repository`` (``{region}-docker.pkg.dev/{project}/{id}``,
    for ``TrainingImage``/``TrainingJob``) and ``staging_bucket`` (``gs://{bucket}``).
    Each output carries the resources it needs: a job given ``env.network`` is
    created after the peering and deleted before it; ``env.service_account``,
    after the role bindings.

    Destroy ordering: the peering cannot be deleted while Vertex still runs
    anything on it, and the service account must outlive its jobs. A job or
    persistent resource that does not take those outputs must say so:
    ``opts=env.job_options()`` (or ``depends_on=env.dependencies``) makes
    ``pulumi destroy`` delete (cancel) it before the peering and the role
    bindings, and ``pulumi up`` create it after them. On a component
    (``vt.TrainingJob``), its children follow it.

    Example:
        >>> env = vt.TrainingEnvironment(  # doctest: +SKIP
        ...     "train-env", project="my-project", region="us-central1",
        ...     create_peering=True, project_number="123456789012")
        >>> vt.CustomJob("train", job_spec={  # doctest: +SKIP
        ...     "worker_pool_specs": [...],
        ...     "service_account": env.service_account,
        ...     "network": env.network,
        ...     "reserved_ip_ranges": env.reserved_ip_ranges,
        ... }, opts=env.job_options())

    Args:
        resource_name: the component's name; children and default ids derive from it.
        project: the project id everything is created in.
        region: where the bucket and the repository live (the jobs' region).
        network: an existing VPC (name, ``projects/P/global/networks/N`` or self
            link; a Shared VPC host project may be named there). None: with
            ``create_peering`` a new VPC is created; without, jobs use no VPC.
        peering_range_prefix_length: size of the range reserved for Vertex (/16 default).
        create_peering: reserve a range on the network and peer it with
            ``servicenetworking.googleapis.com``. False: ``network`` is used as
            is (its peering exists already).
        project_number: the number of the network's project, for the ``network``
            output. None: looked up with ``gcp.organizations.get_project``
            (needs resourcemanager.projects.get at preview).
        service_account_id: the account id (6-30 chars); default ``{name}-jobs``.
        bucket_name: the staging bucket's (global) name; default
            ``{project}-{name}-staging``.
        repository_id: the repository's id; default from ``resource_name``.
        force_destroy: delete the bucket on destroy even when it holds objects.
        labels: labels on the bucket and the repository.
        peering_deletion_policy: the Connection's ``deletion_policy``; ``"ABANDON"``
            drops it from the state without deleting the peering (when Google keeps
            it busy after jobs end).
        opts: resource options.

    Raises:
        ValueError: at once, listing every bad argument with its value and what is allowed.
    """

    service_account: pulumi.Output[str]
    network: pulumi.Output[str | None]
    reserved_ip_ranges: pulumi.Output[list[str] | None]
    repository: pulumi.Output[str]
    staging_bucket: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        project: str,
        region: str,
        network: str | None = None,
        peering_range_prefix_length: int = 16,
        create_peering: bool = False,
        project_number: pulumi.Input[str | int] | None = None,
        service_account_id: str | None = None,
        bucket_name: str | None = None,
        repository_id: str | None = None,
        force_destroy: bool = False,
        labels: Mapping[str, str] | None = None,
        peering_deletion_policy: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        errors = validate_environment_args(
            project=project,
            region=region,
            peering_range_prefix_length=peering_range_prefix_length,
            project_number=project_number,
            service_account_id=service_account_id,
            bucket_name=bucket_name,
            repository_id=repository_id,
        )
        network_ref = None
        if network is not None:
            try:
                network_ref = parse_network(network)
            except ValueError as err:
                errors.append(str(err))
        if errors:
            raise ValueError(f"TrainingEnvironment {resource_name!r}: " + "; ".join(errors))
        super().__init__("vertex:components:TrainingEnvironment", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.account = gcp.serviceaccount.Account(
            f"{resource_name}-sa",
            account_id=service_account_id or default_id(resource_name, "jobs", 30),
            display_name=f"Vertex AI training jobs ({resource_name})",
            project=project,
            opts=child,
        )
        member = self.account.email.apply(lambda email: f"serviceAccount:{email}")
        self.project_bindings = [
            gcp.projects.IAMMember(
                f"{resource_name}-{suffix}", project=project, role=role, member=member, opts=child
            )
            for role, suffix in JOB_ROLES.items()
        ]

        self.bucket = gcp.storage.Bucket(
            f"{resource_name}-bucket",
            name=bucket_name or default_id(f"{project}-{resource_name}", "staging", 63),
            project=project,
            location=region.upper(),
            uniform_bucket_level_access=True,
            force_destroy=force_destroy,
            labels=dict(labels) if labels else None,
            opts=child,
        )
        self.bucket_binding = gcp.storage.BucketIAMMember(
            f"{resource_name}-bucket-object-admin",
            bucket=self.bucket.name,
            role=BUCKET_ROLE,
            member=member,
            opts=child,
        )

        self.docker_repository = gcp.artifactregistry.Repository(
            f"{resource_name}-repository",
            repository_id=repository_id or default_id(resource_name, "images", 63),
            format="DOCKER",
            location=region,
            project=project,
            description=f"Training images ({resource_name})",
            labels=dict(labels) if labels else None,
            opts=child,
        )
        self.repository_binding = gcp.artifactregistry.RepositoryIamMember(
            f"{resource_name}-repository-reader",
            project=project,
            location=region,
            repository=self.docker_repository.repository_id,
            role=REPOSITORY_ROLE,
            member=member,
            opts=child,
        )

        self.created_network: gcp.compute.Network | None = None
        self.peering_range: gcp.compute.GlobalAddress | None = None
        self.peering: gcp.servicenetworking.Connection | None = None
        network_output = self._network(
            resource_name,
            project=project,
            network_ref=network_ref,
            create_peering=create_peering,
            prefix_length=peering_range_prefix_length,
            project_number=project_number,
            deletion_policy=peering_deletion_policy,
            child=child,
        )

        bindings: list[pulumi.Resource] = [
            *self.project_bindings,
            self.bucket_binding,
            self.repository_binding,
        ]
        self.dependencies: list[pulumi.Resource] = [
            *bindings,
            *([self.peering] if self.peering else []),
        ]
        """What jobs must be created after and deleted before: the role bindings and
        the peering. ``depends_on=env.dependencies`` or ``opts=env.job_options()``."""

        self.service_account = _after(self.account.email, bindings)
        self.network = network_output
        self.reserved_ip_ranges = (
            _after(self.peering_range.name, [self.peering]).apply(lambda name: [name])
            if self.peering_range is not None and self.peering is not None
            else pulumi.Output.from_input(None)
        )
        self.repository = _after(
            pulumi.Output.concat(
                f"{region}-docker.pkg.dev/{project}/", self.docker_repository.repository_id
            ),
            [self.repository_binding],
        )
        self.staging_bucket = _after(
            pulumi.Output.concat("gs://", self.bucket.name), [self.bucket_binding]
        )
        self.register_outputs(
            {
                "service_account": self.service_account,
                "network": self.network,
                "reserved_ip_ranges": self.reserved_ip_ranges,
                "repository": self.repository,
                "staging_bucket": self.staging_bucket,
            }
        )

    def _network(
        self,
        resource_name: str,
        *,
        project: str,
        network_ref: NetworkRef | None,
        create_peering: bool,
        prefix_length: int,
        project_number: pulumi.Input[str | int] | None,
        deletion_policy: str | None,
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str | None]:
        """Create the VPC and peering asked for; the ``network`` output in Vertex's form."""
        if network_ref is None and not create_peering:
            return pulumi.Output.from_input(None)
        if network_ref is None:
            self.created_network = gcp.compute.Network(
                f"{resource_name}-network",
                name=default_id(resource_name, "vpc", 63),
                project=project,
                auto_create_subnetworks=False,
                opts=child,
            )
            network_project = project
            network_name: pulumi.Output[str] = self.created_network.name
        else:
            network_project = network_ref.project or project
            network_name = pulumi.Output.from_input(network_ref.name)
        network_path = pulumi.Output.concat(
            f"projects/{network_project}/global/networks/", network_name
        )
        after: list[pulumi.Resource] = []
        if create_peering:
            self.peering_range = gcp.compute.GlobalAddress(
                f"{resource_name}-peering-range",
                name=default_id(resource_name, "vertex-peering", 63),
                project=project,
                network=network_path,
                purpose="VPC_PEERING",
                address_type="INTERNAL",
                prefix_length=prefix_length,
                opts=child,
            )
            self.peering = gcp.servicenetworking.Connection(
                f"{resource_name}-peering",
                network=network_path,
                service=PEERING_SERVICE,
                reserved_peering_ranges=[self.peering_range.name],
                deletion_policy=deletion_policy,
                opts=child,
            )
            after.append(self.peering)
        if project_number is None:
            number: pulumi.Output[Any] = gcp.organizations.get_project_output(
                project_id=network_project, opts=pulumi.InvokeOptions(parent=self)
            ).number
        else:
            number = pulumi.Output.from_input(project_number)
        return _after(
            pulumi.Output.all(number, network_name).apply(
                lambda args: _vertex_network(args[0], args[1], network_project)
            ),
            after,
        )

    def job_options(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        """``opts`` plus ``depends_on=self.dependencies``: for jobs and persistent resources
        that must go before the peering and the role bindings on destroy."""
        return pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(depends_on=self.dependencies), opts
        )


def _vertex_network(number: Any, name: str, network_project: str) -> str:
    if number is None or not str(number).isdigit():
        raise ValueError(
            f"project_number: {number!r} for project {network_project!r} is not a project "
            "number (digits only); Vertex wants projects/{project_number}/global/networks/{name}"
        )
    return f"projects/{number}/global/networks/{name}"


def _after(output: pulumi.Output[Any], resources: Sequence[pulumi.Resource]) -> pulumi.Output[Any]:
    """``output``, carrying ``resources`` as dependencies of whatever takes it as an input."""
    if not resources:
        return output
    return pulumi.Output.all(output, *(r.urn for r in resources)).apply(lambda values: values[0])
