"""The containers and the cluster of a GuardDuty finding (EKS Protection, ECS and EKS Runtime
Monitoring, Malware Protection): ECS ``container.*`` and ``orchestrator.*``
(docs/sources/guardduty.md, "Containers and clusters").

GuardDuty names containers in three places of ``resource`` (botocore's ``Resource``):
``containerDetails`` (the container where Runtime Monitoring saw the process),
``kubernetesDetails.kubernetesWorkloadDetails.containers[]`` (the pod's) and
``ecsClusterDetails.taskDetails.containers[]`` (the task's). The first of them, in that order,
is ``container.*`` (its ``securityContext.privileged`` ``container.security_context.privileged``);
ECS's ``container`` is one container, so every image they name is in
``aws.guardduty.container_images``, every one stated privileged in
``aws.guardduty.privileged_containers``, and their ``volumeMounts`` and the host paths of the
pod's and the task's ``volumes`` in ``aws.guardduty.container_mounts.*``. The cluster is ``eksClusterDetails`` (with the workload's
namespace, name and type) or ``ecsClusterDetails`` (with its task).

An EKS audit log finding also names the object its Kubernetes API call acted on
(``service.action.kubernetesApiCallAction``: ``namespace``, ``resource``, ``resourceName``).
ECS's ``orchestrator.namespace``/``.resource.*`` are "the resource being acted upon": the
workload when the finding names one (it is the finding's resource, and the call, when there is
one, acted on it or created it), else the call's object. The three are taken from one of them,
never mixed, so a namespace is never paired with another object's name. Each list is read to
its first 100 containers, and a member of the wrong type is no value: the work stays bounded and
no detail dead-letters a finding, whatever it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from normalizers.ecs.bounded import bounded_objects
from normalizers.ecs.container import (
    KUBERNETES,
    Workload,
    container_fields,
    ecs_task_orchestrator,
    mounts_block,
    orchestrator_fields,
)
from normalizers.ecs.values import as_bool, as_dict, as_text, unique


def kubernetes_workload(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource.kubernetesDetails.kubernetesWorkloadDetails``: the pod, deployment... acted on
    or acting (its ``name``, ``type``, ``namespace``, ``serviceAccountName``, ``containers``)."""
    return as_dict(as_dict(resource.get("kubernetesDetails")).get("kubernetesWorkloadDetails"))


def finding_workload(resource: dict[str, Any], action: dict[str, Any]) -> Workload:
    """``resource`` as the finding has it (wire names); ``action`` snake_cased (``service.action``)."""
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
            privileged=as_bool(as_dict(first.get("securityContext")).get("privileged")),
        ),
        orchestrator=_orchestrator(
            as_dict(resource.get("eksClusterDetails")),
            _acted_on(workload, as_dict(action.get("kubernetes_api_call_action"))),
            cluster,
            task,
        ),
        images=unique(as_text(item.get("image")) for item in containers),
        mounts=mounts_block(_container_mounts(containers), _host_paths(workload, task)),
        privileged=unique(
            as_text(item.get("name")) or as_text(item.get("image"))
            for item in containers
            if as_bool(as_dict(item.get("securityContext")).get("privileged"))
        ),
    )


def _container_mounts(containers: list[dict[str, Any]]) -> Iterator[tuple[str | None, str | None]]:
    """Each container's ``volumeMounts[]``: where (``mountPath``), which volume (``name``)."""
    for container in containers:
        for mount in bounded_objects(container.get("volumeMounts")):
            yield as_text(mount.get("mountPath")), as_text(mount.get("name"))


def _host_paths(workload: dict[str, Any], task: dict[str, Any]) -> Iterator[str | None]:
    """The host paths the pod's and the task's ``volumes[].hostPath.path`` present."""
    for owner in (workload, task):
        for volume in bounded_objects(owner.get("volumes")):
            yield as_text(as_dict(volume.get("hostPath")).get("path"))


def _acted_on(workload: dict[str, Any], call: dict[str, Any]) -> dict[str, str | None]:
    """The Kubernetes object acted upon: ``namespace``, ``name`` and ``type`` of the workload
    when the finding names one, else of the API call's object (``resourceName``, ``resource``:
    the plural resource as the API writes it, ``pods``, ``secrets``, as the workload's type)."""
    if workload:
        return {key: as_text(workload.get(key)) for key in ("namespace", "name", "type")}
    if not call:
        return {}
    return {
        "namespace": as_text(call.get("namespace")),
        "name": as_text(call.get("resource_name")),
        "type": as_text(call.get("resource")),
    }


def _orchestrator(
    eks: dict[str, Any], acted_on: dict[str, str | None], cluster: dict[str, Any], task: dict[str, Any]
) -> dict[str, Any]:
    """An EKS cluster, a Kubernetes workload or API call is ``kubernetes``; else an ECS
    cluster ``ecs``."""
    if eks or acted_on:
        return orchestrator_fields(
            kind=KUBERNETES,
            cluster_name=as_text(eks.get("name")),
            cluster_id=as_text(eks.get("arn")),
            namespace=acted_on.get("namespace"),
            resource_name=acted_on.get("name"),
            resource_type=acted_on.get("type"),
        )
    if cluster:
        return ecs_task_orchestrator(
            as_text(cluster.get("arn")), as_text(cluster.get("name")), as_text(task.get("arn"))
        )
    return {}
