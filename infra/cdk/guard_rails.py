"""Production guard rails of the interKanect stack: cdk-nag suppressions (each with its reason,
beside the resource it concerns), the log buckets, API Gateway throttling per route family, the
WAF web ACLs (REST API and CloudFront) and the ops dashboard and alarms.

Kept apart from `stack.py` so the stack reads as what the app runs on; `InterkanectStack` calls
these once the resources they guard exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cloudwatch_actions,
    aws_iam as iam,
    aws_logs as logs,
    aws_s3 as s3,
    aws_ssm as ssm,
    aws_wafv2 as wafv2,
    custom_resources as cr,
)
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

# Where CLOUDFRONT-scope web ACLs must be created, wherever the distribution's stack is.
CLOUDFRONT_WAF_REGION = "us-east-1"
# The metrics the app emits (chalicelib/observability.py, EMF), on the dashboard.
APP_METRICS_NAMESPACE = "interKanect"
BUSINESS_METRICS = ("CallsRung", "CallsAnswered", "PaymentsCaptured", "Refunds", "Payouts")
# CloudWatch alarms on metric math take at most 10 metrics.
ALARM_METRICS_LIMIT = 10


def suppress(construct: Construct, *rules: tuple[str, str], applies_to: Sequence[str] = (),
             children: bool = False) -> None:
    """cdk-nag suppressions on one construct: (rule id, reason) pairs; `applies_to` narrows a
    granular rule (IAM4/IAM5) to the findings named (e.g. `Resource::<Table.Arn>/index/*`)."""
    NagSuppressions.add_resource_suppressions(construct, [
        NagPackSuppression(id=rule, reason=reason, applies_to=list(applies_to) or None)
        for rule, reason in rules
    ], apply_to_children=children)


# ---- Throttling per route family (stage-wide limits; WAF's rate rule is the per-address one)


@dataclass(frozen=True)
class RouteFamily:
    name: str
    prefixes: tuple[str, ...]  # a route is in the family when its path starts with one of these
    rate: float  # steady requests per second, for the whole stage (every caller together)
    burst: int


# Checked in order: a path goes to the first family it matches, else the stage default.
ROUTE_FAMILIES = (
    # Sign-up, sign-in, code and password flows: the brute-force surface; Cognito's own quotas
    # (e.g. 120 sign-ins/s per pool) are above this.
    RouteFamily("auth", ("/auth",), rate=20, burst=40),
    # Creating, completing and cancelling PayPal orders, checkout and refunds: each costs a PayPal
    # call; well above the peak a marketplace of this size sees.
    RouteFamily("payments", ("/payments", "/checkout", "/calls/{call_id}/payment", "/refunds"),
                rate=25, burst=50),
    # PayPal's webhooks: never starve them (PayPal retries, but a refused event delays captures).
    RouteFamily("webhooks", ("/webhooks",), rate=50, burst=100),
)
# Everything else: pages, profiles, calls, bookings, store.
DEFAULT_THROTTLE = RouteFamily("default", ("/",), rate=200, burst=400)


def route_family(path: str) -> RouteFamily:
    for family in ROUTE_FAMILIES:
        if any(path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?")
               for prefix in family.prefixes):
            return family
    return DEFAULT_THROTTLE


def method_settings(routes: dict[str, Iterable[str]]) -> list[dict[str, Any]]:
    """The REST stage's MethodSettings: the default for every method, then each route of a
    family by its exact resource path (API Gateway has no prefix match: `/` is written `~1`).
    No per-method detailed metrics: each is a paid custom metric, and the alarms use the API's."""
    settings = [{"ResourcePath": "/*", "HttpMethod": "*",
                 "ThrottlingRateLimit": DEFAULT_THROTTLE.rate,
                 "ThrottlingBurstLimit": DEFAULT_THROTTLE.burst}]
    for path in sorted(routes):
        family = route_family(path)
        if family is DEFAULT_THROTTLE:
            continue
        for method in sorted(routes[path]):
            settings.append({"ResourcePath": "/" + path.replace("/", "~1"), "HttpMethod": method,
                             "ThrottlingRateLimit": family.rate, "ThrottlingBurstLimit": family.burst})
    return settings


# ---- WAF


# Requests per client address per 5 minutes (WAF's evaluation window) before it is blocked for
# a while: a person browsing and calling sends far fewer; a scraper or a credential-stuffer more.
RATE_LIMIT_PER_5_MINUTES = 1000
# The stricter one on the sign-in and sign-up routes.
AUTH_RATE_LIMIT_PER_5_MINUTES = 100


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def web_acl(scope: Construct, construct_id: str, *, waf_scope: str, name: str,
            auth_path: str) -> wafv2.CfnWebACL:
    """A web ACL: a rate-based rule per client address (and a stricter one on `auth_path`), then
    AWS's managed common rule set and known-bad-inputs set. The common set's body-size rule is
    counted, not blocked: PayPal's webhook bodies and Markdown posts can exceed 8 KB."""
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerAddress", priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=RATE_LIMIT_PER_5_MINUTES, aggregate_key_type="IP")),
            visibility_config=_visibility(f"{name}-rate")),
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitSignInPerAddress", priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=AUTH_RATE_LIMIT_PER_5_MINUTES, aggregate_key_type="IP",
                    scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                            positional_constraint="STARTS_WITH", search_string=auth_path,
                            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                                priority=0, type="LOWERCASE")])))),
            visibility_config=_visibility(f"{name}-auth-rate")),
    ]
    for priority, (group, overrides) in enumerate((
            ("AWSManagedRulesCommonRuleSet", ["SizeRestrictions_BODY"]),
            ("AWSManagedRulesKnownBadInputsRuleSet", [])), start=2):
        rules.append(wafv2.CfnWebACL.RuleProperty(
            name=group, priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group,
                    rule_action_overrides=[wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))
                        for rule in overrides] or None)),
            visibility_config=_visibility(f"{name}-{group}")))
    return wafv2.CfnWebACL(
        scope, construct_id, scope=waf_scope, name=name,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(name), rules=rules,
        description=f"interKanect {waf_scope.lower()}: per-address rate limits, AWS managed rules")


def cloudfront_web_acl(stack: cdk.Stack, edge: cdk.Stack, stage: str, auth_path: str) -> str:
    """The CLOUDFRONT-scope web ACL, which AWS only accepts in us-east-1: created in the edge
    companion stack (already pinned there and deployed first) and handed over through an SSM
    parameter there, read back at deploy time, as the 404 function's version is. Returns its ARN
    (a distribution's `WebACLId` takes the ARN for WAFv2)."""
    acl = web_acl(edge, "SiteWebAcl", waf_scope="CLOUDFRONT", name=f"interkanect-{stage}-site",
                  auth_path=auth_path)
    parameter_name = f"/interkanect/{stage}/edge/site-web-acl-arn"
    ssm.StringParameter(edge, "SiteWebAclArn", parameter_name=parameter_name, string_value=acl.attr_arn,
                        description="Read by the site distribution's stack")
    reader = cr.AwsCustomResource(
        stack, "SiteWebAclArnReader",
        resource_type="Custom::CloudFrontWebAcl",
        on_update=cr.AwsSdkCall(
            service="SSM", action="getParameter", parameters={"Name": parameter_name},
            region=CLOUDFRONT_WAF_REGION, physical_resource_id=cr.PhysicalResourceId.of(parameter_name)),
        policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
            actions=["ssm:GetParameter"],
            resources=[f"arn:{stack.partition}:ssm:{CLOUDFRONT_WAF_REGION}:{stack.account}:parameter"
                       f"{parameter_name}"])]),
        install_latest_aws_sdk=False,
    )
    return reader.get_response_field("Parameter.Value")


def rest_api_web_acl(stack: cdk.Stack, stage: str, rest_api: cdk.CfnResource, auth_path: str) -> wafv2.CfnWebACL:
    """The REGIONAL web ACL on the REST API's stage, so a caller that skips CloudFront (the API's
    own execute-api host) meets the same limits. `RestAPI.Stage` is SAM's reference to the stage
    it generates, so the association waits for the stage."""
    acl = web_acl(stack, "RestApiWebAcl", waf_scope="REGIONAL", name=f"interkanect-{stage}-rest-api",
                  auth_path=auth_path)
    stage_arn = cdk.Fn.join("", [f"arn:{stack.partition}:apigateway:{stack.region}::/restapis/",
                                 rest_api.ref, "/stages/", cdk.Fn.ref(f"{rest_api.logical_id}.Stage")])
    association = wafv2.CfnWebACLAssociation(stack, "RestApiWebAclAssociation", resource_arn=stage_arn,
                                             web_acl_arn=acl.attr_arn)
    cdk.Validations.of(association).acknowledge(cdk.Acknowledgment(
        id="CloudFormation-Validate::F1020",
        reason="`RestAPI.Stage` is SAM's reference to the stage it generates: it exists once the "
               "Serverless transform has run (cfn-lint, which applies it, accepts it)"))
    return acl


# ---- Observability: dashboard and alarms to the ops topic


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class OpsAlarms:
    """Alarms to the ops email topic, and the dashboard that shows the same signals."""

    def __init__(self, stack: cdk.Stack, topic: Any, dashboard_name: str) -> None:
        self.stack = stack
        self.action = cloudwatch_actions.SnsAction(topic)
        self.dashboard = cloudwatch.Dashboard(stack, "OpsDashboard", dashboard_name=dashboard_name)

    def alarm(self, construct_id: str, metric: cloudwatch.IMetric, threshold: float, description: str,
              periods: int = 1) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self.stack, construct_id, metric=metric, threshold=threshold, evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description)
        alarm.add_alarm_action(self.action)
        return alarm

    def summed(self, construct_id: str, label: str, metrics: list[cloudwatch.Metric], threshold: float,
               description: str) -> list[cloudwatch.Alarm]:
        """One alarm per group of up to 10 metrics (CloudWatch's limit for metric math), on
        their sum."""
        alarms = []
        for number, group in enumerate(_chunks(metrics, ALARM_METRICS_LIMIT)):
            expression = cloudwatch.MathExpression(
                expression=" + ".join(f"FILL(m{i}, 0)" for i in range(len(group))),
                using_metrics={f"m{i}": metric for i, metric in enumerate(group)},
                label=label, period=cdk.Duration.minutes(5))
            alarms.append(self.alarm(f"{construct_id}{number}", expression, threshold, description))
        return alarms


def observability(stack: cdk.Stack, *, topic: Any, stack_name: str, rest_api_name: str, api_stage: str,
                  websocket_api: cdk.CfnResource, function_names: list[str],
                  table_names: dict[str, str], payout_log_group: logs.ILogGroup) -> OpsAlarms:
    """The alarms the issue names (5xx rate on the REST API, Lambda errors and throttles,
    DynamoDB throttles, WebSocket errors, a payout run late) and a dashboard of them plus the
    app's own metrics (calls rung/answered, payments captured, refunds, payouts)."""
    ops = OpsAlarms(stack, topic, dashboard_name=f"{stack_name}-ops")
    five = cdk.Duration.minutes(5)
    api = {"ApiName": rest_api_name, "Stage": api_stage}

    def api_metric(name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=name, dimensions_map=api,
                                 statistic=statistic, period=five)

    # 5xx rate: 5XXError's Average is the share of requests answered 5xx; alarm above 5 % for two
    # periods running, and only when there is traffic (no data: not breaching).
    five_xx_rate = cloudwatch.MathExpression(
        expression="IF(requests >= 20, errors / requests * 100, 0)",
        using_metrics={"errors": api_metric("5XXError"), "requests": api_metric("Count")},
        label="REST API 5xx (%)", period=five)
    ops.alarm("RestApi5xxRateAlarm", five_xx_rate, 5, periods=2,
              description="More than 5 % of REST API requests answered 5xx for 10 minutes: see the "
                          "APIHandler logs and the ops dashboard.")

    def lambda_metric(name: str, function: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=name,
                                 dimensions_map={"FunctionName": function}, statistic="Sum", period=five)

    ops.summed("LambdaErrorsAlarm", "Lambda errors", [lambda_metric("Errors", f) for f in function_names], 1,
               "A Lambda function failed (an uncaught error or a timeout): see its logs.")
    ops.summed("LambdaThrottlesAlarm", "Lambda throttles",
               [lambda_metric("Throttles", f) for f in function_names], 1,
               "A Lambda function was throttled (account concurrency reached): callers saw 429/5xx.")

    table_metrics = [cloudwatch.Metric(namespace="AWS/DynamoDB", metric_name=name,
                                       dimensions_map={"TableName": table}, statistic="Sum", period=five)
                     for table in table_names.values()
                     for name in ("ReadThrottleEvents", "WriteThrottleEvents")]
    ops.summed("DynamoDbThrottlesAlarm", "DynamoDB throttles", table_metrics, 1,
               "A DynamoDB table throttled reads or writes (on-demand tables throttle on sudden "
               "spikes or a hot key): see the dashboard's table widget.")

    websocket = {"ApiId": websocket_api.ref, "Stage": api_stage}
    websocket_errors = [cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=name,
                                          dimensions_map=websocket, statistic="Sum", period=five)
                        for name in ("ExecutionError", "IntegrationError")]
    ops.summed("WebSocketErrorsAlarm", "WebSocket errors", websocket_errors, 5,
               "The WebSocket API failed to run its functions (execution or integration errors): "
               "rings and presence may not reach people.")

    late = logs.MetricFilter(
        stack, "PayoutRunsLate", log_group=payout_log_group, metric_namespace=APP_METRICS_NAMESPACE,
        metric_name="PayoutRunsLate", metric_value="1",
        filter_pattern=logs.FilterPattern.string_value("$.message", "=", "payout run late"))
    ops.alarm("PayoutLateAlarm", late.metric(statistic="Sum", period=cdk.Duration.minutes(10)), 1,
              "The payout run will not finish by 7 PM Pacific: see Flags & payouts and the RunPayouts logs.")

    def app_metric(name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace=APP_METRICS_NAMESPACE, metric_name=name,
                                 dimensions_map={"service": "interkanect"}, statistic="Sum",
                                 period=cdk.Duration.hours(1))

    ops.dashboard.add_widgets(
        cloudwatch.GraphWidget(title="REST API requests and errors", width=12, left=[
            api_metric("Count"), api_metric("4XXError"), api_metric("5XXError")]),
        cloudwatch.GraphWidget(title="REST API latency (p90, ms)", width=12,
                               left=[api_metric("Latency", "p90")]),
    )
    ops.dashboard.add_widgets(
        cloudwatch.GraphWidget(title="Lambda errors", width=12,
                               left=[lambda_metric("Errors", f) for f in function_names]),
        cloudwatch.GraphWidget(title="Lambda throttles", width=12,
                               left=[lambda_metric("Throttles", f) for f in function_names]),
    )
    ops.dashboard.add_widgets(
        cloudwatch.GraphWidget(title="DynamoDB throttles", width=12, left=table_metrics),
        cloudwatch.GraphWidget(title="WebSocket", width=12, left=websocket_errors + [
            cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=name, dimensions_map=websocket,
                              statistic="Sum", period=five) for name in ("ConnectCount", "MessageCount")]),
    )
    ops.dashboard.add_widgets(
        cloudwatch.GraphWidget(title="Calls, payments, refunds, payouts (per hour)", width=24,
                               left=[app_metric(name) for name in BUSINESS_METRICS]),
    )
    return ops


def log_buckets(stack: cdk.Stack) -> tuple[s3.Bucket, s3.Bucket]:
    """Where access logs go: S3 server access logs of the data buckets (bucket-owner enforced,
    delivered under a bucket policy) and CloudFront's standard logs (which are written with ACLs,
    so that bucket lets the writer own its objects). Both private, TLS only, kept 365 days."""
    expire = s3.LifecycleRule(id="ExpireLogs", expiration=cdk.Duration.days(365))
    access_logs = s3.Bucket(
        stack, "AccessLogsBucket",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[expire], removal_policy=cdk.RemovalPolicy.RETAIN)
    suppress(access_logs, ("AwsSolutions-S1", "This is the server-access-log destination of the other "
                                              "buckets; logging it would log its own log deliveries."))
    cdn_logs = s3.Bucket(
        stack, "CdnLogsBucket",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.OBJECT_WRITER,  # CloudFront standard logging needs ACLs
        server_access_logs_bucket=access_logs, server_access_logs_prefix="cdn-logs/",
        lifecycle_rules=[expire], removal_policy=cdk.RemovalPolicy.RETAIN)
    return access_logs, cdn_logs


# ---- API access logs


ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "routeKey": "$context.routeKey",
    "status": "$context.status", "error": "$context.error.message",
    "integrationError": "$context.integration.error", "latency": "$context.integrationLatency",
}
REST_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "method": "$context.httpMethod",
    "path": "$context.resourcePath", "status": "$context.status",
    "error": "$context.error.message", "latency": "$context.integrationLatency",
    "wafResponse": "$context.wafResponseCode",
}


def api_access_logs(stack: cdk.Stack, rest_api: cdk.CfnResource, websocket_stage: cdk.CfnResource) -> None:
    """Access logs of both API stages (no bodies, no tokens: ids, address, route, status, latency).
    API Gateway writes them with the account's CloudWatch role (a per-region account setting,
    `AWS::ApiGateway::Account`), which must be set before a stage with logs is created."""
    import json

    role = iam.Role(
        stack, "ApiGatewayLogsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway (account setting): writes the APIs' access and execution logs",
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
            "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
    suppress(role, ("AwsSolutions-IAM4", "AWS's policy for API Gateway's account-level logging role: API "
                                         "Gateway creates the log groups it writes to, whose names it chooses "
                                         "(execution logs), so no narrower grant works."),
             applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                         "AmazonAPIGatewayPushToCloudWatchLogs"])
    from aws_cdk import aws_apigateway as apigateway

    account = apigateway.CfnAccount(stack, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
    for construct_id, target, fmt in (("WebSocketAccessLogs", websocket_stage, ACCESS_LOG_FORMAT),
                                      ("RestApiAccessLogs", rest_api, REST_ACCESS_LOG_FORMAT)):
        group = logs.LogGroup(stack, construct_id, retention=logs.RetentionDays.ONE_YEAR,
                              removal_policy=cdk.RemovalPolicy.RETAIN)
        target.add_resource_dependency(account)
        settings = {"DestinationArn": group.log_group_arn, "Format": json.dumps(fmt, separators=(",", ":"))}
        if target is rest_api:  # SAM: the stage it generates follows the API (and so the account)
            target.add_property_override("AccessLogSetting", settings)
        else:  # an L1 CfnStage (from Chalice's template): set as a property, so cdk-nag sees it
            target.access_log_settings = {"destinationArn": settings["DestinationArn"],
                                          "format": settings["Format"]}
