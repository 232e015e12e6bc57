"""Where the functions run and how they reach OpenSearch Serverless.

Public collections (the default): the functions run in Lambda's own network and call the
collections' public endpoints (SigV4 + data access policies). Private collections
(``networkAccess=vpc``): the functions run in the given VPC's subnets, and the collections
and Dashboards are reachable only through an OpenSearch Serverless VPC endpoint, created
here unless an existing one is given (docs/deploy.md, "Private collections").
"""

from __future__ import annotations

import ipaddress

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from infra.config import VpcSettings

HTTPS = ec2.Port.tcp(443)


class FunctionNetwork(Construct):
    """The functions' VPC placement and security group, and the collections' VPC endpoint."""

    def __init__(
        self, scope: Construct, construct_id: str, settings: VpcSettings | None, name_prefix: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc: ec2.IVpc | None = None
        self.subnets: ec2.SubnetSelection | None = None
        self.security_groups: list[ec2.ISecurityGroup] = []
        self.collection_endpoint_id: str | None = None
        """The VPC endpoint the network policy admits; ``None``: public collections."""
        self.public_dashboards = settings is None or settings.public_dashboards
        if settings is None:
            return
        # Only the VPC id is used (by the security groups); the subnets are selected explicitly,
        # so the zone names CDK requires here are placeholders that never reach the template.
        self.vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=settings.vpc_id,
            availability_zones=[f"zone-{i}" for i, _ in enumerate(settings.subnet_ids)],
        )
        self.subnets = ec2.SubnetSelection(
            subnets=[
                ec2.Subnet.from_subnet_id(self, f"Subnet{i}", subnet)
                for i, subnet in enumerate(settings.subnet_ids)
            ]
        )
        functions = ec2.SecurityGroup(
            self,
            "FunctionSecurityGroup",
            vpc=self.vpc,
            description="SIEM Lambdas: outbound HTTPS to the OpenSearch Serverless VPC endpoint and AWS APIs",
            allow_all_outbound=False,
        )
        functions.add_egress_rule(ec2.Peer.any_ipv4(), HTTPS, "HTTPS to AWS endpoints")
        self.security_groups = [functions]
        self.collection_endpoint_id = settings.endpoint_id or self._collection_endpoint(
            settings, name_prefix, functions
        )

    def _collection_endpoint(
        self, settings: VpcSettings, name_prefix: str, functions: ec2.SecurityGroup
    ) -> str:
        """An OpenSearch Serverless VPC endpoint in the functions' subnets. It also creates the
        private DNS that makes the collection endpoints resolve to it inside the VPC."""
        assert self.vpc is not None
        group = ec2.SecurityGroup(
            self,
            "CollectionEndpointSecurityGroup",
            vpc=self.vpc,
            description="SIEM OpenSearch Serverless VPC endpoint: HTTPS from the SIEM Lambdas and analyst networks",
            allow_all_outbound=False,
        )
        group.add_ingress_rule(functions, HTTPS, "SIEM Lambdas")
        for cidr in settings.client_cidrs:
            network = ipaddress.ip_network(cidr)
            peer = ec2.Peer.ipv4(cidr) if network.version == 4 else ec2.Peer.ipv6(cidr)
            group.add_ingress_rule(peer, HTTPS, "Analysts (VPN, bastion): collections and Dashboards")
        endpoint = aoss.CfnVpcEndpoint(
            self,
            "CollectionEndpoint",
            name=f"{name_prefix}-collections",
            vpc_id=settings.vpc_id,
            subnet_ids=list(settings.subnet_ids),
            security_group_ids=[group.security_group_id],
        )
        return endpoint.attr_id
