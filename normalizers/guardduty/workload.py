"""The containers and the cluster of a GuardDuty finding (EKS Protection, ECS and EKS Runtime
Monitoring, Malware Protection): ECS ``container.*`` and ``orchestrator.*``
(docs/sources/guardduty.md, "Containers and clusters").

GuardDuty names containers in three places of ``resource`` (botocore's ``Resource``):
``containerDetails`` (the container where Runtime Monitoring saw the process),
``kubernetesDetails.kubernetesWorkloadDetails.containers[]`` (the pod's) and
``ecsClusterDetails.taskDetails.containers[]`` (the task's). The first of them, in that order,
is ``container.*``; every image they name is in ``aws.guardduty.container_images`` (ECS's
``container`` is one container). The cluster is ``eksClusterDetails`` (with the workload's
namespace, name and type) or ``ecsClusterDetails`` (with its task). Each list is read to its
first 100 containers, and a member of the wrong type is no value: the work stays bounded and
no detail dead-letters a finding, whatever it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.bounded import bounded_objects
from normalizers.ecs.container import KUBERNETES, container_fields, ecs_task_orchestrator, orchestrator_fields
from normalizers.ecs.values import as_dict, as_text, unique


@dataclass(slots=True)
class Workload:
    """``container``, ``orchestrator`` and ``aws.guardduty.container_images`` of a finding."""

    container: dict[str, Any] = field(default_factory=dict)
    orchestrator: dict[str, Any] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)


def kubernetes_workload(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource.kubernetesDetails.kubernetesWorkloadDetails``: the pod, deployment... acted on
    or acting (its ``name``, ``type``, ``namespace``, ``serviceAccountName``, ``containers``)."""
    return as_dict(as_dict(resource.get("kubernetesDetails")).get("kubernetesWorkloadDetails"))


def finding_workload(resource: dict[str, Any]) -> Workload:
    """``resource`` as the finding has it (wire names)."""
    workload = kubernetes_workload(resource)
    cluster = as_dict(resource.get("ecsClusterDetails"))
    task = as_dict(cluster.get("taskDetails"))
    own = resource.get("containerDetails")
    containers = [
        *([own] if isinstance(own, dict) else []),
        *bounded_objects(workload.get("containers")),
        *bounded_objects(task.get("containers")),
    ]
    first = containers[0] if containers else {}
    return Workload(
        container=container_fields(
            container_id=as_text(first.get("id")),
            name=as_text(first.get("name")),
            runtime=as_text(first.get("containerRuntime")),
            image=as_text(first.get("image")),
        ),
        orchestrator=_orchestrator(as_dict(resource.get("eksClusterDetails")), workload, cluster, task),
        images=unique(as_text(item.get("image")) for item in containers),
    )


def _orchestrator(
    eks: dict[str, Any], workload: dict[str, Any], cluster: dict[str, Any], task: dict[str, Any]
) -> dict[str, Any]:
    """An EKS cluster or a Kubernetes workload is ``kubernetes``; else an ECS cluster ``ecs``."""
    if eks or workload:
        return orchestrator_fields(
            kind=KUBERNETES,
            cluster_name=as_text(eks.get("name")),
            cluster_id=as_text(eks.get("arn")),
            namespace=as_text(workload.get("namespace")),
            resource_name=as_text(workload.get("name")),
            resource_type=as_text(workload.get("type")),
        )
    if cluster:
        return ecs_task_orchestrator(
            as_text(cluster.get("arn")), as_text(cluster.get("name")), as_text(task.get("arn"))
        )
    return {}
