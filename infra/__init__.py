"""The aws-cdk-lib app that deploys the SIEM pipeline (see docs/deploy.md)."""
