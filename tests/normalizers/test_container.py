"""Image references split as Docker's reference grammar reads them
(``[registry[:port]/]repository[:tag][@digest]``, distribution/reference)."""

from __future__ import annotations

import pytest

from normalizers.ecs.container import ImageReference, cluster_name_of, image_reference, task_id_of

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nginx", ImageReference("nginx", None, None)),
        ("nginx:1.27", ImageReference("nginx", "1.27", None)),
        ("library/nginx:latest", ImageReference("library/nginx", "latest", None)),
        # A registry's port is before a slash: it is no tag.
        ("localhost:5000/app", ImageReference("localhost:5000/app", None, None)),
        (
            "registry.example.com:5000/team/app:2.3",
            ImageReference("registry.example.com:5000/team/app", "2.3", None),
        ),
        (f"public.ecr.aws/team/app@{DIGEST}", ImageReference("public.ecr.aws/team/app", None, DIGEST)),
        (f"registry:5000/app:v7@{DIGEST}", ImageReference("registry:5000/app", "v7", DIGEST)),
        (None, ImageReference(None, None, None)),
        ("", ImageReference(None, None, None)),
    ],
)
def test_an_image_reference_is_split_into_name_tag_and_digest(
    reference: str | None, expected: ImageReference
) -> None:
    assert image_reference(reference) == expected


def test_a_cluster_and_a_task_are_named_by_their_arns() -> None:
    assert cluster_name_of("arn:aws:ecs:us-east-1:111122223333:cluster/web") == "web"
    assert cluster_name_of("arn:aws:eks:us-east-1:111122223333:cluster/prod") == "prod"
    assert cluster_name_of("arn:aws:ecs:us-east-1:111122223333:service/web/api") is None
    assert task_id_of("arn:aws:ecs:us-east-1:111122223333:task/web/0123abcd") == "0123abcd"
    assert task_id_of("arn:aws:ecs:us-east-1:111122223333:task/0123abcd") == "0123abcd"  # before 2018
    assert task_id_of("arn:aws:ecs:us-east-1:111122223333:cluster/web") is None
