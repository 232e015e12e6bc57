"""A container and the orchestrator running it as ECS ``container.*`` and ``orchestrator.*``:
GuardDuty's ``Container``/``EcsClusterDetails``/``EksClusterDetails`` and Security Hub's
``Container``/``AwsEcsTask``/``AwsEksCluster`` describe the same things with other names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.ecs.values import prune, unique


@dataclass(slots=True)
class Workload:
    """What a finding says of the containers it is about: ``container`` and ``orchestrator``
    (ECS), and the lists a finding's own namespace keeps (``aws.guardduty.*``,
    ``aws.securityhub_findings.*``): ``container_images``, ``container_mounts`` (``path``,
    ``volume``, ``host_path``) and ``privileged_containers`` (every container stated
    privileged)."""

    container: dict[str, Any] = field(default_factory=dict)
    orchestrator: dict[str, Any] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    mounts: dict[str, object] = field(default_factory=dict)
    privileged: list[str] = field(default_factory=list)


class ImageReference(NamedTuple):
    """An image reference split as Docker's grammar reads it:
    ``[registry[:port]/]repository[:tag][@digest]``."""

    name: str | None
    tag: str | None
    digest: str | None


def image_reference(reference: str | None) -> ImageReference:
    """``registry:5000/team/app:1.4@sha256:ab`` -> name ``registry:5000/team/app``, tag ``1.4``,
    digest ``sha256:ab``. A tag is the text after the last ``:`` of the last path component
    (a registry's port is before a ``/``), the digest what follows ``@``."""
    if not reference:
        return ImageReference(None, None, None)
    named, _, digest = reference.partition("@")
    colon = named.rfind(":")
    tag = None
    if colon > named.rfind("/"):
        named, tag = named[:colon], named[colon + 1 :]
    return ImageReference(named or None, tag or None, digest or None)


def container_fields(
    *,
    container_id: str | None = None,
    name: str | None = None,
    runtime: str | None = None,
    image: str | None = None,
    image_id: str | None = None,
    privileged: bool | None = None,
) -> dict[str, object]:
    """ECS ``container``: ``image`` is a reference (name, tag and digest are split out of it);
    ``image_id`` an image id or digest (``sha256:...``). ECS has no image id: both the
    reference's digest and the id are ``container.image.hash.all``, ECS's digests of the image.
    ``privileged``: whether the container runs privileged, when the finding says
    (``container.security_context.privileged``; ``False`` is kept)."""
    reference = image_reference(image)
    digests = [value for value in (reference.digest, image_id) if value]
    return prune(
        {
            "id": container_id,
            "name": name,
            "runtime": runtime,
            "image": {
                "name": reference.name,
                "tag": [reference.tag] if reference.tag else None,
                "hash": {"all": list(dict.fromkeys(digests)) or None},
            },
            "security_context": {"privileged": privileged},
        }
    )


def mounts_block(
    mounts: Iterable[tuple[str | None, str | None]], host_paths: Iterable[str | None]
) -> dict[str, object]:
    """``aws.<source>.container_mounts`` (ECS has no mount fields): ``path``, where the containers
    mount volumes, and ``volume``, which, from ``(path, volume)`` pairs; ``host_path``, the host
    paths bind-mount volumes present. The first :data:`LIST_LIMIT` of each iterable are read."""
    pairs = list(islice(mounts, LIST_LIMIT))
    return prune(
        {
            "path": unique(path for path, _ in pairs),
            "volume": unique(volume for _, volume in pairs),
            "host_path": unique(islice(host_paths, LIST_LIMIT)),
        }
    )


KUBERNETES, ECS = "kubernetes", "ecs"
"""ECS ``orchestrator.type`` of an EKS and of an ECS workload."""


def orchestrator_fields(
    *,
    kind: str,
    cluster_name: str | None = None,
    cluster_id: str | None = None,
    namespace: str | None = None,
    resource_name: str | None = None,
    resource_type: str | None = None,
) -> dict[str, object]:
    """ECS ``orchestrator``: ``kind`` is :data:`KUBERNETES` or :data:`ECS`; ``cluster_id`` the
    cluster's ARN (a name not given is read off it); the resource is the workload (a pod, a
    deployment) or the ECS task."""
    return prune(
        {
            "type": kind,
            "cluster": {"name": cluster_name or cluster_name_of(cluster_id), "id": cluster_id},
            "namespace": namespace,
            "resource": {"name": resource_name, "type": resource_type},
        }
    )


def ecs_task_orchestrator(
    cluster_arn: str | None, cluster_name: str | None, task_arn: str | None
) -> dict[str, object]:
    """ECS ``orchestrator`` of an ECS cluster and, when known, its task (``resource.name`` the
    task's id, ``resource.type`` ``task``)."""
    task_id = task_id_of(task_arn)
    return orchestrator_fields(
        kind=ECS,
        cluster_name=cluster_name,
        cluster_id=cluster_arn,
        resource_name=task_id,
        resource_type="task" if task_id else None,
    )


def cluster_name_of(arn: str | None) -> str | None:
    """``arn:aws:ecs:us-east-1:123456789012:cluster/web`` (EKS's alike) -> ``web``."""
    if not arn or ":cluster/" not in arn:
        return None
    return arn.rsplit(":cluster/", 1)[1] or None


def task_id_of(arn: str | None) -> str | None:
    """An ECS task's ARN (``...:task/<cluster>/<id>``, before 2018 ``...:task/<id>``) -> its id."""
    if not arn or ":task/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1] or None
