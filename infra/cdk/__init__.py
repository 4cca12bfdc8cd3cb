"""The AWS CDK app of interKanect: `python -m infra.cdk.synth` writes the CloudFormation."""
