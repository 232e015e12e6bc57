"""The containers, the cluster and the malware an ASFF finding names: ECS ``container.*``,
``orchestrator.*``, ``threat.software.*`` and ``file.path`` (docs/sources/securityhub.md,
"Containers, clusters and malware").

Containers are resources' ``Details.Container`` (botocore ``ContainerDetails``: ``Name``,
``ContainerRuntime``, ``ImageName``, ``ImageId``, ``Privileged``, ``VolumeMounts``),
``Details.AwsEcsContainer``, ``Details.AwsEcsTask.Containers[]`` (``Name``, ``Image``,
``Privileged``, ``MountPoints``) and ``Details.AwsEcsTaskDefinition.ContainerDefinitions[]``
(the same members: the container a task of the definition runs); the first of them, in the
resources' order, is ``container.*`` (its ``Privileged`` ``container.security_context.
privileged``), and every image they name is in ``aws.securityhub_findings.container_images``.
ECS's ``container`` is one container: every container stated privileged is named (``Name``,
else its image) in ``aws.securityhub_findings.privileged_containers``, so a control failing on
a task definition's second container is not read as unprivileged off the first. Where the
containers mount volumes (``VolumeMounts[].MountPath``/``.Name``, ``MountPoints[].
ContainerPath``/``.SourceVolume``) and the host paths a task's (or task definition's)
bind-mount volumes present (``Volumes[].Host.SourcePath``) are
``aws.securityhub_findings.container_mounts.*``: ECS has no mount fields.

The cluster is an ``AwsEksCluster`` resource, else an ``AwsEcsCluster`` or the cluster of an
``AwsEcsTask``. ``Malware[]`` names the malware seen. Resources, containers and malware are each read to their first 100, and the
mounts and volumes to the first 100 of the finding: the work stays bounded whatever a finding
holds, and a member of the wrong type is no value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from normalizers.ecs.bounded import bounded_objects, bounded_unique
from normalizers.ecs.container import (
    KUBERNETES,
    Workload,
    container_fields,
    ecs_task_orchestrator,
    mounts_block,
    orchestrator_fields,
)
from normalizers.ecs.threat import malware_threat
from normalizers.ecs.values import as_bool, as_dict, as_text, unique

_MOUNT_MEMBERS = (("VolumeMounts", "MountPath", "Name"), ("MountPoints", "ContainerPath", "SourceVolume"))
"""A container's mounts: ``ContainerDetails.VolumeMounts[]`` (``MountPath``, ``Name``), ECS's
``MountPoints[]`` (``ContainerPath``, ``SourceVolume``): the path in the container, the volume."""


def resources_workload(resources: Any) -> Workload:
    """``Resources`` as the finding has them: the containers of the first
    :data:`~normalizers.ecs.bounded.LIST_LIMIT` (of each of their lists), as many images and
    privileged containers at most."""
    items = bounded_objects(resources)
    containers = [container for resource in items for container in _containers(resource)]
    first = containers[0] if containers else {}
    return Workload(
        container=container_fields(
            name=as_text(first.get("Name")),
            runtime=as_text(first.get("ContainerRuntime")),
            image=as_text(first.get("ImageName")) or as_text(first.get("Image")),
            image_id=as_text(first.get("ImageId")),
            privileged=as_bool(first.get("Privileged")),
        ),
        orchestrator=_orchestrator(items),
        images=bounded_unique(
            as_text(item.get("ImageName")) or as_text(item.get("Image")) for item in containers
        ),
        mounts=_mounts(containers, items),
        privileged=bounded_unique(
            as_text(item.get("Name")) or as_text(item.get("Image")) or as_text(item.get("ImageName"))
            for item in containers
            if as_bool(item.get("Privileged"))
        ),
    )


def malware_fields(malware: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``Malware[]`` -> ECS ``threat`` (every ``Name`` in ``threat.software.name``, typed
    :data:`~normalizers.ecs.threat.MALWARE`) and ``file`` (the first ``Path``: where the malware was seen)."""
    items = bounded_objects(malware)
    names = unique(as_text(item.get("Name")) for item in items)
    path = next((path for item in items if (path := as_text(item.get("Path")))), None)
    return malware_threat(names), {"path": path} if path else {}


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """A resource's containers: its ``Container``, its ``AwsEcsContainer``, its ECS task's,
    its task definition's."""
    details = as_dict(resource.get("Details"))
    own = [details[kind] for kind in ("Container", "AwsEcsContainer") if isinstance(details.get(kind), dict)]
    return [
        *own,
        *bounded_objects(as_dict(details.get("AwsEcsTask")).get("Containers")),
        *bounded_objects(as_dict(details.get("AwsEcsTaskDefinition")).get("ContainerDefinitions")),
    ]


def _mounts(containers: list[dict[str, Any]], resources: list[dict[str, Any]]) -> dict[str, object]:
    """Every container's mounts (the first 100 of the finding) and the host paths of the ECS
    tasks' and task definitions' bind-mount volumes (the first 100)."""
    host_paths = (
        as_text(as_dict(volume.get("Host")).get("SourcePath"))
        for resource in resources
        for kind in ("AwsEcsTask", "AwsEcsTaskDefinition")
        for volume in bounded_objects(as_dict(as_dict(resource.get("Details")).get(kind)).get("Volumes"))
    )
    return mounts_block(_container_mounts(containers), host_paths)


def _container_mounts(containers: list[dict[str, Any]]) -> Iterator[tuple[str | None, str | None]]:
    for container in containers:
        for key, path, volume in _MOUNT_MEMBERS:
            for mount in bounded_objects(container.get(key)):
                yield as_text(mount.get(path)), as_text(mount.get(volume))


def _orchestrator(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """An EKS cluster is ``kubernetes``; else an ECS cluster (with a task of it) ``ecs``."""
    eks: dict[str, Any] = {}
    cluster: dict[str, Any] = {}
    task: dict[str, Any] = {}
    eks_arn = cluster_arn = task_arn = None
    for resource in resources:
        details = as_dict(resource.get("Details"))
        resource_id = _arn(resource.get("Id"))
        if not eks and isinstance(details.get("AwsEksCluster"), dict):
            eks, eks_arn = details["AwsEksCluster"], resource_id
        if not cluster and isinstance(details.get("AwsEcsCluster"), dict):
            cluster, cluster_arn = details["AwsEcsCluster"], resource_id
        if not task and isinstance(details.get("AwsEcsTask"), dict):
            task, task_arn = details["AwsEcsTask"], resource_id
    if eks:
        return orchestrator_fields(
            kind=KUBERNETES,
            cluster_name=as_text(eks.get("Name")),
            cluster_id=as_text(eks.get("Arn")) or eks_arn,
        )
    if cluster or task:
        arn = as_text(cluster.get("ClusterArn")) or cluster_arn or as_text(task.get("ClusterArn"))
        return ecs_task_orchestrator(arn, as_text(cluster.get("ClusterName")), task_arn)
    return {}


def _arn(resource_id: Any) -> str | None:
    """A resource's ``Id`` when it is an ARN (ASFF's AWS resources are named by theirs)."""
    text = as_text(resource_id)
    return text if text and text.startswith("arn:") else None
