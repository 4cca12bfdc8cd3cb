"""The interKanect stack: the Chalice app (REST + WebSocket APIs, scheduled jobs) and everything
it runs on — DynamoDB tables declared from the pynamodb models (the categories table seeded on
the first deploy), the Cognito user pool, the private site bucket and the private uploads bucket
(avatars, product pictures) behind CloudFront (with `/api/*` and the public pages `/h/*` and
`/marketplace` routed to the REST API, and `/media/*` to the uploads, all on the site's own
origin), and the private files bucket of digital goods, reached only through presigned URLs on a
downloads distribution of its own (never the site's origin) that adds `nosniff`. A page the site
bucket lacks gets the site's 404 page from a Lambda@Edge function, which lives in a companion
stack in us-east-1.

The stack's construct id IS the Chalice stage: the `chalice.cdk.Chalice` construct names its
stage after its scope (`scope.to_string()`), so `InterkanectStack(app, "dev")` packages the
`dev` stage of `.chalice/config.json`; the CloudFormation stack name is `interkanect-<stage>`.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import aws_cdk as cdk
import jsii
from aws_cdk import (
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cloudwatch_actions,
    aws_cognito as cognito,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_s3_deployment as s3deploy,
    aws_secretsmanager as secretsmanager,
    aws_ses as ses,
    aws_sns as sns,
    aws_sns_subscriptions as subscriptions,
    aws_ssm as ssm,
    custom_resources as cr,
)
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.adapters.tables import TTL_ATTRIBUTES, all_models
from chalicelib.adapters.tables.pages import CategoryRecord
from chalicelib.api.gateway_responses import GATEWAY_RESPONSES
from chalicelib.api.page_html import compile_templates
from chalicelib.domain.accounts import PASSWORD_MIN_LENGTH
from chalicelib.domain.categories import SEED, Category
from chalicelib.settings import TABLES, Settings
from infra.cdk import guard_rails
from infra.cdk.guard_rails import suppress
from infra.edge import package_not_found
from infra.site_build import build as build_site
from infra.site_headers import DOWNLOAD_CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY, content_security_policy

REPO_ROOT = Path(__file__).resolve().parents[2]
# The built site (infra/site_build.py), written into the cloud assembly beside the assets.
SITE_BUILD_DIR = "static-site"
# The 404 function's package (infra/edge), beside it.
NOT_FOUND_BUILD_DIR = "edge-not-found"
# Lambda@Edge functions are created in this region, wherever the distribution's stack is.
EDGE_REGION = "us-east-1"

PAYPAL_SANDBOX_URL = "https://api-m.sandbox.paypal.com"
PAYPAL_LIVE_URL = "https://api-m.paypal.com"

# The API Gateway stage of both APIs (`.chalice/config.json`); also the CloudFront path prefix,
# so the browser calls `/api/...` on the site's own origin.
API_STAGE = "api"
# The public Helper pages: `/h/<username>` on the site is the REST API's `/h/{username}` route.
PAGES_PREFIX = "h"
# Where avatars and product pictures live in the uploads bucket; CloudFront serves the bucket
# under the same path.
MEDIA_PREFIX = "media"
AVATARS_PREFIX = f"{MEDIA_PREFIX}/avatars/"
PRODUCT_PICTURES_PREFIX = f"{MEDIA_PREFIX}/products/"
# Where browsers upload pictures before they are checked and redrawn into `media/` (never
# served; an upload nobody confirmed is deleted after a day).
INCOMING_PREFIX = "incoming/"
# Where digital goods' files live in the private files bucket (served only by presigned GETs,
# through the downloads distribution).
STORE_FILES_PREFIX = "files/"
# The Marketplace page: `/marketplace` on the site is the REST API's `/marketplace` route.
MARKETPLACE_PATH = "marketplace"
# The query strings the store and Marketplace pages read (paging and search); nothing else
# reaches the API or splits the cache.
STORE_PAGE_QUERY_STRINGS = ("cursor", "q", "category")
# After the role's own aspect that splits an oversized policy (MUTATING, or DEFAULT without the
# `@aws-cdk/core:aspectPrioritiesMutating` flag), before read-only ones.
AFTER_ROLE_SPLIT = 900
# DynamoDB's BatchWriteItem takes at most 25 items per call.
BATCH_WRITE_LIMIT = 25

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}

# What the functions may do on the tables: items and queries (incl. indexes), transactions
# (authorised per item action), no Scan — the design forbids Scan on request paths and the
# jobs query GSIs (e.g. `connections.by_expiry`).
TABLE_ACTIONS = (
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
# Cognito calls that need IAM (sign-up, sign-in, refresh, sign-out are public client calls).
COGNITO_ADMIN_ACTIONS = (
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
)


@jsii.implements(cdk.IAspect)
class _StartAfterRolePolicies:
    """Makes functions depend on every policy of their role, found once the tree is complete:
    when the role's statements outgrow its inline policy (CDK's estimate, 10,000 characters with
    150 per unresolved ARN), CDK moves the rest into overflow managed policies while
    synthesizing, in an aspect of its own."""

    def __init__(self, role: iam.Role, functions: list[cdk.CfnResource]) -> None:
        self._role = role
        self._functions = functions

    def visit(self, node: Any) -> None:
        if node is not self._role:
            return
        policies = [child.node.default_child for child in self._role.node.children
                    if isinstance(child.node.default_child, cdk.CfnResource)
                    and child.node.default_child.cfn_resource_type in ("AWS::IAM::Policy",
                                                                      "AWS::IAM::ManagedPolicy")]
        for function in self._functions:
            for policy in policies:
                function.add_resource_dependency(policy)


def table_construct_id(logical: str) -> str:
    """`helper_pages` -> `HelperPagesTable`."""
    return "".join(part.title() for part in logical.split("_")) + "Table"


def category_item(category: Category) -> dict[str, dict[str, str]]:
    """A seed category as a DynamoDB item, in `CategoryRecord`'s attribute names."""
    attributes = CategoryRecord.get_attributes()
    values = {
        "slug": category.slug,
        "name": category.name,
        "banner": category.banner,
        "parent": category.parent,
        "position": category.position,
        "tree": attributes["tree"].default,
    }
    item = {}
    for name, value in values.items():
        if value is None:  # a top-level category has no parent: omitted, as pynamodb does
            continue
        attribute = attributes[name]
        kind = attribute.attr_type
        item[attribute.attr_name] = {kind: str(value) if kind == "N" else value}
    return item


def table_schema(model: Any) -> dict[str, Any]:
    """A pynamodb model's key schema, indexes and attribute types, in CDK's terms.

    Reads `Model._get_schema()` (what `create_table` sends), so the tables on AWS are exactly
    the tables the code (and the local stack) uses.
    """
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"] + schema["local_secondary_indexes"]:
        types.update({a["AttributeName"]: a["AttributeType"] for a in index["attribute_definitions"]})

    def keys(key_schema: list[dict]) -> dict[str, dynamodb.Attribute]:
        out = {}
        for key in key_schema:
            attribute = dynamodb.Attribute(name=key["AttributeName"],
                                           type=_ATTRIBUTE_TYPES[types[key["AttributeName"]]])
            out["partition_key" if key["KeyType"] == "HASH" else "sort_key"] = attribute
        return out

    def projection(index: dict) -> dict[str, Any]:
        spec = index["projection"]
        out: dict[str, Any] = {"projection_type": _PROJECTIONS[spec["ProjectionType"]]}
        if spec.get("NonKeyAttributes"):
            out["non_key_attributes"] = list(spec["NonKeyAttributes"])
        return out

    return {
        **keys(schema["key_schema"]),
        "global_secondary_indexes": [
            {"index_name": i["index_name"], **keys(i["key_schema"]), **projection(i)}
            for i in schema["global_secondary_indexes"]
        ],
        "local_secondary_indexes": [
            {"index_name": i["index_name"], "sort_key": keys(i["key_schema"])["sort_key"],
             **projection(i)}
            for i in schema["local_secondary_indexes"]
        ],
    }


@contextlib.contextmanager
def _packaging_workdir() -> Iterator[None]:
    """`chalice.cdk.Chalice` writes `chalice.out/` into the current directory; keep it out of
    the repository. Its files are read (template) and staged (code zip) while the construct is
    built, so the directory can go afterwards."""
    previous = os.getcwd()
    workdir = tempfile.mkdtemp(prefix="interkanect-chalice-")
    # `chalice package` builds a boto3 client to learn the partition of `lambda.amazonaws.com`;
    # synthesizing must not need an AWS profile, so give it a region when none is configured.
    added_region = not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    if added_region:
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(previous)
        shutil.rmtree(workdir, ignore_errors=True)
        if added_region:
            os.environ.pop("AWS_DEFAULT_REGION", None)


class InterkanectStack(cdk.Stack):
    """Everything interKanect runs on, for one stage (the construct id)."""

    def __init__(self, scope: Construct, stage: str = "dev", **kwargs: Any) -> None:
        kwargs.setdefault("stack_name", f"interkanect-{stage}")
        kwargs.setdefault("description", f"interKanect ({stage}): Chalice app, data, auth, site")
        super().__init__(scope, stage, **kwargs)
        self.stage = stage
        defaults = Settings()

        # ---- Parameters (deploy-time; context values at synth time override the defaults)
        paypal_base_url = cdk.CfnParameter(
            self, "PayPalBaseUrl", type="String",
            default=self.node.try_get_context("paypal_base_url") or PAYPAL_SANDBOX_URL,
            allowed_values=[PAYPAL_SANDBOX_URL, PAYPAL_LIVE_URL],
            description="PayPal REST API base URL (sandbox by default).",
        )
        paypal_client_id = cdk.CfnParameter(
            self, "PayPalClientId", type="String",
            default=self.node.try_get_context("paypal_client_id") or "",
            description="PayPal REST app client id (public).",
        )
        paypal_webhook_id = cdk.CfnParameter(
            self, "PayPalWebhookId", type="String",
            default=self.node.try_get_context("paypal_webhook_id") or "",
            description="The id PayPal gave the webhook pointing at <api>/webhooks/paypal (signatures "
                        "are verified against it).",
        )
        ops_email = cdk.CfnParameter(
            self, "OpsEmail", type="String", default=self.node.try_get_context("ops_email") or "ops@example.com",
            description="Where refund requests and overdue reviews are announced (an SES-verified address).",
        )
        support_email = cdk.CfnParameter(
            self, "SupportEmail", type="String",
            default=self.node.try_get_context("support_email") or "support@example.com",
            description="The support address people are shown on the FAQ, Terms and Privacy pages.",
        )
        email_sender = cdk.CfnParameter(
            self, "EmailSender", type="String",
            default=self.node.try_get_context("email_sender") or "no-reply@example.com",
            description="The SES-verified sender of the emails people get.",
        )
        paypal_secret_parameter = cdk.CfnParameter(
            self, "PayPalClientSecretParameterName", type="String",
            default=self.node.try_get_context("paypal_client_secret_parameter")
            or f"/interkanect/{stage}/paypal/client-secret",
            allowed_pattern=r"^/[A-Za-z0-9_.\-/]+$",
            description="Name of the SSM SecureString parameter holding the PayPal client secret "
                        "(create it yourself; the secret never appears in this template).",
        )
        stun_urls = cdk.CfnParameter(
            self, "StunUrls", type="String",
            default=self.node.try_get_context("stun_urls") or "stun:stun.l.google.com:19302",
            description="Comma-separated STUN URLs the browsers use for their peer connection.",
        )
        turn_urls = cdk.CfnParameter(
            self, "TurnUrls", type="String", default=self.node.try_get_context("turn_urls") or "",
            description="Comma-separated TURN URLs (coturn with the REST API secret); empty: no TURN.",
        )
        turn_secret_parameter = cdk.CfnParameter(
            self, "TurnSecretParameterName", type="String",
            default=self.node.try_get_context("turn_secret_parameter") or f"/interkanect/{stage}/turn/secret",
            allowed_pattern=r"^/[A-Za-z0-9_.\-/]+$",
            description="Name of the SSM SecureString holding the TURN REST API shared secret.",
        )
        # CDK's built-in CloudFormation validation flags any parameter whose name mentions a
        # secret (W2509, "set NoEcho"). This one holds only the *name* of the SSM parameter;
        # hiding it would hide which parameter the functions read.
        cdk.Validations.of(self).acknowledge(cdk.Acknowledgment(
            id="CloudFormation-Validate::W2509",
            reason="PayPalClientSecretParameterName and TurnSecretParameterName are SSM parameter "
                   "names, not secrets"))

        # ---- DynamoDB: one table per pynamodb model (and one setting per table: all_models checks)
        models = all_models()
        self.tables: dict[str, dynamodb.Table] = {}
        for logical, model in models.items():
            schema = table_schema(model)
            table = dynamodb.Table(
                self, table_construct_id(logical),
                partition_key=schema["partition_key"],
                sort_key=schema.get("sort_key"),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True),
                time_to_live_attribute=TTL_ATTRIBUTES.get(logical),
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            for index in schema["global_secondary_indexes"]:
                table.add_global_secondary_index(**index)
            for index in schema["local_secondary_indexes"]:
                table.add_local_secondary_index(**index)
            self.tables[logical] = table

        # ---- Cognito: sign in with email, the app client the API uses (no secret)
        self.user_pool = cognito.UserPool(
            self, "UserPool",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            user_verification=self._verification_email(support_email.value_as_string),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=False,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        suppress(
            self.user_pool,
            ("AwsSolutions-COG1", "The password rule is the product's (domain.accounts: length, upper, lower, "
                                  "digit), checked by the sign-up form too; a symbol requirement adds little "
                                  "(NIST SP 800-63B advises against composition rules) and would refuse "
                                  "passwords the app accepts."),
            ("AwsSolutions-COG2", "A public marketplace: anyone signs up to call a Helper; required MFA would "
                                  "stop most callers. Money leaves only through PayPal, which has its own "
                                  "authentication."),
            ("AwsSolutions-COG8", "The Plus feature plan (threat protection) is a per-user cost; sign-up and "
                                  "sign-in are rate-limited per address by WAF and per stage by API Gateway "
                                  "throttling instead."),
        )
        self.user_pool_client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True),  # + ALLOW_REFRESH_TOKEN_AUTH
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            disable_o_auth=True,
            # A sign-out is kept on record this long (domain.sessions): the two must match.
            refresh_token_validity=cdk.Duration.seconds(defaults.session_seconds),
        )
        cognito.UserPoolGroup(
            self, "OpsGroup", user_pool=self.user_pool, group_name=defaults.ops_group,
            description="interKanect operations: refunds, flags, payouts.",
        )

        # ---- Where S3 and CloudFront access logs go
        self.access_logs_bucket, self.cdn_logs_bucket = guard_rails.log_buckets(self)

        # ---- The static site's bucket (private; CloudFront reads it through OAC)
        self.site_bucket = s3.Bucket(
            self, "SiteBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="site/",
        )

        # ---- Avatar uploads (private): the browser POSTs a presigned form straight to S3 (no
        # CORS needed for a form navigation); CloudFront serves `media/*` through OAC.
        self.uploads_bucket = self._upload_bucket("UploadsBucket", s3.LifecycleRule(
            id="DeleteUnconfirmedPictureUploads", prefix=INCOMING_PREFIX, expiration=cdk.Duration.days(1)))

        # ---- Digital goods' files (private, never on the site's origin): the seller's browser
        # POSTs a presigned form, the buyer downloads through a short-lived presigned GET that the
        # downloads distribution passes on (see below).
        self.files_bucket = self._upload_bucket("FilesBucket")

        # ---- The functions' role (owned here, so Chalice's broad autogen policy is not used)
        self.function_role = iam.Role(
            self, "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="interKanect Lambda functions (REST, WebSocket, authorizer, jobs)",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("AWSXRayDaemonWriteAccess"),
            ],
        )
        # Logs of this stack's functions only (what AWSLambdaBasicExecutionRole grants on every log
        # group): every function is named `<stack name>-<logical id>` (below).
        function_logs = self.format_arn(service="logs", resource="log-group",
                                        resource_name=f"/aws/lambda/{self.stack_name}-*",
                                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="FunctionLogs", actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[function_logs, f"{function_logs}:log-stream:*"]))
        suppress(self.function_role, ("AwsSolutions-IAM4", "AWSXRayDaemonWriteAccess: X-Ray's write actions "
                                                            "(PutTraceSegments, PutTelemetryRecords, sampling "
                                                            "rules) support no resource-level permissions."),
                 applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/AWSXRayDaemonWriteAccess"])

        # Signs page cursors (opaque, tamper-evident); generated here, read once per warm Lambda.
        self.cursor_secret = secretsmanager.Secret(
            self, "CursorSecret", description="interKanect: signs page cursors",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True),
        )
        self.cursor_secret.grant_read(self.function_role)
        suppress(self.cursor_secret, ("AwsSolutions-SMG4", "It only signs page cursors (opaque paging tokens "
                                                            "that live minutes); rotating it just invalidates "
                                                            "open cursors. Rotated by hand (docs/runbook.md) "
                                                            "rather than by a rotation Lambda."))
        # Web Push's VAPID private key (base64url of the P-256 scalar). CloudFormation cannot make
        # an EC key: the secret starts as a placeholder that the app treats as "push off", and the
        # runbook puts a real key in (`python -m infra.vapid_key`). Read once per warm Lambda.
        self.vapid_secret = secretsmanager.Secret(
            self, "VapidSecret", description="interKanect: Web Push VAPID private key (python -m infra.vapid_key)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=16, exclude_punctuation=True),
        )
        self.vapid_secret.grant_read(self.function_role)
        suppress(self.vapid_secret, ("AwsSolutions-SMG4", "A VAPID key pair is rotated by hand (docs/runbook.md): "
                                                          "browsers subscribed with the old public key must "
                                                          "subscribe again, which no rotation Lambda can do."))

        turn_enabled = cdk.CfnCondition(self, "TurnEnabled", expression=cdk.Fn.condition_not(
            cdk.Fn.condition_equals(turn_urls.value_as_string, "")))

        # ---- SES bounces and complaints reach the app (services/ses_feedback.py): every email is
        # sent with this configuration set, whose event destination publishes them to the feedback
        # topic; the app's `ses_feedback` function is subscribed to it (below).
        self.ses_feedback_topic = sns.Topic(self, "SesFeedback", display_name="interKanect SES bounces and complaints",
                                            enforce_ssl=True)
        self.ses_feedback_topic.add_to_resource_policy(iam.PolicyStatement(
            sid="SesPublishesFeedback", principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            actions=["sns:Publish"], resources=[self.ses_feedback_topic.topic_arn],
            conditions={"StringEquals": {"AWS:SourceAccount": self.account}}))
        # Not encrypted at rest (as the ops topic): SES cannot publish to a topic under the AWS
        # managed SNS key, and the notifications name only addresses the app already stores.
        self.ses_configuration_set = ses.CfnConfigurationSet(self, "SesConfigurationSet")
        ses.CfnConfigurationSetEventDestination(
            self, "SesFeedbackDestination", configuration_set_name=self.ses_configuration_set.ref,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="bounces-and-complaints", enabled=True, matching_event_types=["bounce", "complaint"],
                sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                    topic_arn=self.ses_feedback_topic.topic_arn)))

        # ---- The Chalice app
        environment = {
            **{f"IK_TABLE_{logical.upper()}": self.tables[logical].table_name
               for logical in TABLES},
            "IK_USER_POOL_ID": self.user_pool.user_pool_id,
            "IK_USER_POOL_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            "IK_OPS_GROUP": defaults.ops_group,
            "IK_CURSOR_SECRET_ARN": self.cursor_secret.secret_arn,
            "IK_VAPID_SECRET_ARN": self.vapid_secret.secret_arn,
            "IK_SITE_BUCKET": self.site_bucket.bucket_name,
            "IK_UPLOADS_BUCKET": self.uploads_bucket.bucket_name,
            "IK_FILES_BUCKET": self.files_bucket.bucket_name,
            "IK_PAYPAL_BASE_URL": paypal_base_url.value_as_string,
            "IK_PAYPAL_CLIENT_ID": paypal_client_id.value_as_string,
            "IK_PAYPAL_CLIENT_SECRET_PARAMETER": paypal_secret_parameter.value_as_string,
            "IK_PAYPAL_WEBHOOK_ID": paypal_webhook_id.value_as_string,
            "IK_OPS_EMAIL": ops_email.value_as_string,
            "IK_SUPPORT_EMAIL": support_email.value_as_string,
            "IK_EMAIL_SENDER": email_sender.value_as_string,
            "IK_SES_CONFIGURATION_SET": self.ses_configuration_set.ref,
            "IK_STUN_URLS": stun_urls.value_as_string,
            "IK_TURN_URLS": turn_urls.value_as_string,
            "IK_TURN_SECRET_PARAMETER": cdk.Fn.condition_if(
                turn_enabled.logical_id, turn_secret_parameter.value_as_string, "").to_string(),
        }
        compile_templates()  # packaged with the app: its cold start reads them compiled
        with _packaging_workdir():
            self.chalice = Chalice(
                self, "ChaliceApp", source_dir=str(REPO_ROOT),
                stage_config={
                    "api_gateway_stage": API_STAGE,
                    "websocket_api_gateway_stage": API_STAGE,
                    # CloudFront is the edge; a regional API avoids a second distribution.
                    "api_gateway_endpoint_type": "REGIONAL",
                    # Dependencies in a Chalice-managed layer keyed by requirements.txt only, so a
                    # code change re-zips just the app code instead of re-downloading every wheel.
                    "automatic_layer": True,
                    "manage_iam_role": False,
                    "iam_role_arn": self.function_role.role_arn,
                    "xray": True,
                    "environment_variables": environment,
                },
            )
            sam_template = json.loads(next(Path("chalice.out").glob("*.sam_with_assets.json"))
                                      .read_text())
        self.rest_api = self.chalice.get_resource("RestAPI")
        self.websocket_api = self.chalice.get_resource("WebsocketAPI")
        self.functions = [
            child for child in self.chalice.sam_template.node.children
            if isinstance(child, cdk.CfnResource)
            and child.cfn_resource_type == "AWS::Serverless::Function"
        ]
        self._name_functions_and_unlink_rest_api(sam_template)
        self._subscribe_to_ses_feedback(sam_template)

        websocket_host = f"{self.websocket_api.ref}.execute-api.{self.region}.{self.url_suffix}"
        self.websocket_url = f"wss://{websocket_host}/{API_STAGE}"
        rest_api_host = f"{self.rest_api.ref}.execute-api.{self.region}.{self.url_suffix}"
        # The WebSocket API is created by the Chalice template, so its id reaches the functions
        # as an override (the API itself does not depend on the functions: no cycle).
        management_url = f"https://{websocket_host}/{API_STAGE}"
        for function in self.functions:
            function.add_property_override(
                "Environment.Variables.IK_WEBSOCKET_MANAGEMENT_URL", management_url)

        # API Gateway's own answers (authorizer refusals, unknown routes) in the product's error
        # shape. Declared on the SAM API, not as separate AWS::ApiGateway::GatewayResponse
        # resources: SAM writes them into the API definition, so every deployment of the stage
        # carries them; separate resources miss the first deployment and are dropped whenever
        # SAM redeploys the API (aws/serverless-application-model#390, aws/aws-cdk#10963).
        self.rest_api.add_property_override("GatewayResponses", {
            response_type: {
                "StatusCode": str(status),
                "ResponseTemplates": {
                    "application/json": json.dumps(body, separators=(",", ":")),
                },
                "ResponseParameters": {
                    "Headers": {
                        "Cache-Control": "'no-store'",
                        **({"WWW-Authenticate": "'Bearer'"} if status == 401 else {}),
                    },
                },
            }
            for response_type, (status, body) in GATEWAY_RESPONSES.items()
        })

        # ---- Guard rails on the APIs: a name per stage (the alarms' ApiName dimension), throttling
        # per route family, access logs, a WAF web ACL on the REST stage.
        import app as chalice_app  # the routes, for the per-family throttles

        self.rest_api_name = f"{self.stack_name}-rest-api"
        self.rest_api.add_property_override("Name", self.rest_api_name)
        self.rest_api.add_property_override("MethodSettings", guard_rails.method_settings(
            {path: methods.keys() for path, methods in chalice_app.app.routes.items()}))
        guard_rails.api_access_logs(self, self.rest_api, self.chalice.get_resource("WebsocketAPIStage"))
        auth_path = f"/{API_STAGE}/auth/"
        guard_rails.rest_api_web_acl(self, self.stage, self.rest_api, auth_path)
        for route in ("WebsocketConnectRoute", "WebsocketMessageRoute", "WebsocketDisconnectRoute"):
            suppress(self.chalice.get_resource(route), (
                "AwsSolutions-APIG4", "$connect verifies the Cognito access token itself (subprotocol or "
                                      "?token=, docs/websocket.md) and refuses the upgrade with 401; "
                                      "$default and $disconnect run only on a connection $connect "
                                      "accepted. API Gateway's WebSocket authorizers cannot read the "
                                      "subprotocol token."))

        # ---- What the functions may do
        # One statement for every table (and its indexes): a statement per table would outgrow
        # the role's inline policy limit (10 KB) as tables are added.
        table_arns = [table.table_arn for table in self.tables.values()]
        # Indexes by name (the models'), not `index/*`.
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="Tables", actions=list(TABLE_ACTIONS),
            resources=table_arns + [f"{arn}/index/{index['index_name']}"
                                    for arn, model in zip(table_arns, models.values())
                                    for index in (model._get_schema()["global_secondary_indexes"]
                                                  + model._get_schema()["local_secondary_indexes"])]))
        # Avatars, product pictures and store files: the presigned POST is signed by this role
        # (PutObject), the upload is checked (GetObject) and a bad or removed one deleted; a
        # download link is a GetObject presigned by it; ListBucket lets a missing key answer 404,
        # not 403 (S3 evaluates that implicit check with the object key as `s3:prefix`).
        for sid, bucket, prefixes in (
                ("Media", self.uploads_bucket, (AVATARS_PREFIX, PRODUCT_PICTURES_PREFIX, INCOMING_PREFIX)),
                ("StoreFile", self.files_bucket, (STORE_FILES_PREFIX,))):
            self.function_role.add_to_policy(iam.PolicyStatement(
                sid=f"{sid}Objects", actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            ))
            self.function_role.add_to_policy(iam.PolicyStatement(
                sid=f"{sid}Listing", actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            ))
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="CognitoAdmin", actions=list(COGNITO_ADMIN_ACTIONS),
            resources=[self.user_pool.user_pool_arn],
        ))
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="WebsocketManageConnections", actions=["execute-api:ManageConnections"],
            resources=[self.format_arn(
                service="execute-api", resource=self.websocket_api.ref,
                resource_name=f"{API_STAGE}/*/@connections/*",
                arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
            )],
        ))
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="PayPalSecret", actions=["ssm:GetParameter"],
            # The name starts with "/" (AllowedPattern), so it follows "parameter" directly.
            resources=[f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter"
                       f"{paypal_secret_parameter.value_as_string}",
                       f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter"
                       f"{turn_secret_parameter.value_as_string}"],
        ))
        self.function_role.add_to_policy(iam.PolicyStatement(
            sid="SendEmail", actions=["ses:SendEmail", "ses:SendRawEmail"],
            resources=[
                self.format_arn(service="ses", resource="identity", resource_name="*"),
                self.format_arn(service="ses", resource="configuration-set", resource_name="*"),
            ],
        ))

        suppress(
            self.function_role,
            ("AwsSolutions-IAM5", "Object keys under fixed prefixes of the uploads and files buckets: the keys "
                                  "are made per upload at run time (ids), and the prefix is the narrowest "
                                  "bound; the site bucket is not granted at all."),
            applies_to=[f"Resource::<{self.get_logical_id(b.node.default_child)}.Arn>/{prefix}*"
                        for b, prefixes in ((self.uploads_bucket, (AVATARS_PREFIX, PRODUCT_PICTURES_PREFIX,
                                                                   INCOMING_PREFIX)),
                                            (self.files_bucket, (STORE_FILES_PREFIX,)))
                        for prefix in prefixes],
            children=True)
        suppress(
            self.function_role,
            ("AwsSolutions-IAM5", "Connection ids are API Gateway's, made per socket at run time; the grant is "
                                  "this WebSocket API's stage only. SES: the sender identity (an address or "
                                  "its domain, a deploy parameter) is checked by SES against either, so the "
                                  "grant is this account's identities and configuration sets in this region. "
                                  "Logs: this stack's function log groups (`<stack>-*`) and their streams."),
            applies_to=[
                "Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<WebsocketAPI>"
                f"/{API_STAGE}/*/@connections/*",
                "Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*",
                "Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/*",
                f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/"
                f"{self.stack_name}-*",
                f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/"
                f"{self.stack_name}-*:log-stream:*",
            ],
            children=True)

        # Like `lambda.Function`: the functions start only once their policies are attached.
        cdk.Aspects.of(self).add(_StartAfterRolePolicies(self.function_role, self.functions),
                                 priority=AFTER_ROLE_SPLIT)

        # ---- CloudFront: the site from S3 (OAC) and `/api/*` from the REST API
        security_headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            comment="interKanect: strict CSP, HSTS, nosniff, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        f"wss://*.execute-api.{self.region}.amazonaws.com",
                        # The upload forms (avatar, product pictures, store files) post to the
                        # buckets: boto3 presigns for the global virtual-hosted name; S3 may 307
                        # a young bucket to the regional one.
                        upload_origin=[
                            origin
                            for bucket in (self.uploads_bucket, self.files_bucket)
                            for origin in (f"https://{bucket.bucket_regional_domain_name}",
                                           f"https://{bucket.bucket_domain_name}")
                        ]),
                    override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(730),
                    include_subdomains=True, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=[
                cloudfront.ResponseCustomHeader(
                    header="Permissions-Policy",
                    value=PERMISSIONS_POLICY,
                    override=True),
            ]),
        )
        api_origin = origins.HttpOrigin(
            rest_api_host,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        # `/h/ada` on the site is `/api/h/ada` on the API (stage `api`, route `/h/{username}`).
        pages_origin = origins.HttpOrigin(
            rest_api_host,
            origin_path=f"/{API_STAGE}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        # Public HTML, the same for everyone: cached briefly (status and edits show within a
        # minute); the app's own Cache-Control can only shorten it.
        pages_cache = cloudfront.CachePolicy(
            self, "PagesCache",
            comment="interKanect public Helper pages: 30 s, no query strings, headers or cookies",
            min_ttl=cdk.Duration.seconds(0),
            default_ttl=cdk.Duration.seconds(30),
            max_ttl=cdk.Duration.seconds(60),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        # The store and Marketplace pages page and search with query strings: the same brief
        # caching, keyed on (and forwarding) those names only, so other strings neither reach
        # the API nor split the cache.
        store_pages_cache = cloudfront.CachePolicy(
            self, "StorePagesCache",
            comment="interKanect store and Marketplace pages: 30 s, keyed on "
                    + ", ".join(STORE_PAGE_QUERY_STRINGS) + " only; no headers or cookies",
            min_ttl=cdk.Duration.seconds(0),
            default_ttl=cdk.Duration.seconds(30),
            max_ttl=cdk.Duration.seconds(60),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list(*STORE_PAGE_QUERY_STRINGS),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

        def public_pages(cache_policy: cloudfront.ICachePolicy) -> cloudfront.BehaviorOptions:
            """Server-rendered public HTML from the REST API. No origin request policy: only the
            cache key reaches the API, so Host is the API's own and no Authorization or cookie
            is forwarded."""
            return cloudfront.BehaviorOptions(
                origin=pages_origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cache_policy,
                response_headers_policy=security_headers,
                compress=True,
            )

        # The site, built from the templates; its 404 page is also the edge function's.
        site_dir = build_site(Path(cdk.Stage.of(self).outdir) / SITE_BUILD_DIR)
        # A missing page gets the site's 404 page from a Lambda@Edge function on the default
        # behaviour only, not from custom error responses: CloudFront applies those to every
        # origin, so they would also replace the API's JSON 403 and 404 answers and the 404 page
        # of /h/<unknown> with the static page.
        not_found = cloudfront.EdgeLambda(
            event_type=cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE,
            function_version=self._not_found_function(site_dir))
        self.distribution = cloudfront.Distribution(
            self, "SiteDistribution",
            comment=f"interKanect {stage}: static site, /api, /h pages, /marketplace and /media",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True, log_bucket=self.cdn_logs_bucket, log_file_prefix="site/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.site_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                # Applies to the 404 function's answers too.
                response_headers_policy=security_headers,
                edge_lambdas=[not_found],
                compress=True,
            ),
            additional_behaviors={
                f"/{API_STAGE}/*": cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # With caching disabled this forwards Authorization too; Host must be the
                    # API's own host name or API Gateway answers 403.
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER),
                    response_headers_policy=security_headers,
                ),
                # CloudFront tries the behaviours in this order and takes the first match, so
                # the stores (`/h/ada/store`, `/h/ada/store/lamp`) come before `/h/*`.
                f"/{PAGES_PREFIX}/*/store": public_pages(store_pages_cache),
                f"/{PAGES_PREFIX}/*/store/*": public_pages(store_pages_cache),
                f"/{PAGES_PREFIX}/*/blog": public_pages(store_pages_cache),  # pages by `cursor`
                f"/{PAGES_PREFIX}/*": public_pages(pages_cache),
                f"/{MARKETPLACE_PATH}": public_pages(store_pages_cache),
                f"/{MEDIA_PREFIX}/*": cloudfront.BehaviorOptions(
                    origin=origins.S3BucketOrigin.with_origin_access_control(self.uploads_bucket),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=security_headers,
                    compress=True,
                ),
            },
        )
        # The site's address, for links and the avatar form's redirect back. The distribution
        # depends on the REST API, which no longer depends on the functions (see
        # `_name_functions_and_unlink_rest_api`), so the functions may depend on it.
        self.site_url = f"https://{self.distribution.distribution_domain_name}"
        # WAF in front of the site (CLOUDFRONT scope, created in us-east-1: see guard_rails) and
        # CloudFront's access logs.
        site_web_acl = guard_rails.cloudfront_web_acl(self, self._edge, self.stage, auth_path)
        self.distribution.attach_web_acl_id(site_web_acl)
        suppress(
            self.distribution,
            ("AwsSolutions-CFR1", "A worldwide marketplace: Helpers and callers may be anywhere; no country is "
                                  "excluded by the product rules."),
            ("AwsSolutions-CFR4", "The distribution uses CloudFront's default *.cloudfront.net certificate, "
                                  "whose viewer TLS policy CloudFront fixes; a minimum protocol version can "
                                  "only be set with a custom domain's certificate (docs/deploy.md)."),
        )
        for function in self.functions:
            function.add_property_override("Environment.Variables.IK_SITE_URL", self.site_url)

        downloads = self._downloads_distribution()
        downloads.attach_web_acl_id(site_web_acl)
        suppress(
            downloads,
            ("AwsSolutions-CFR1", "A worldwide marketplace: buyers of digital goods may be anywhere."),
            ("AwsSolutions-CFR4", "CloudFront's default *.cloudfront.net certificate, whose viewer TLS "
                                  "policy CloudFront fixes (no custom domain)."),
            ("AwsSolutions-CFR7", "On purpose no origin access control: the buyer's presigned GET (SigV4 in "
                                  "the query string) is what S3 checks, which OAC would replace by "
                                  "CloudFront's own signature and so make every file downloadable."),
        )
        self.downloads_url = f"https://{downloads.distribution_domain_name}"
        for function in self.functions:
            function.add_property_override("Environment.Variables.IK_FILES_DOWNLOAD_URL", self.downloads_url)

        self._seed_categories()
        payout_logs, ops_topic = self._alert_ops_on_payout_errors(ops_email.value_as_string)
        guard_rails.observability(
            self, topic=ops_topic, stack_name=self.stack_name, rest_api_name=self.rest_api_name,
            api_stage=API_STAGE, websocket_api=self.websocket_api,
            function_names=[f"{self.stack_name}-{function.node.id}" for function in self.functions],
            table_names={logical: table.table_name for logical, table in self.tables.items()},
            payout_log_group=payout_logs)

        # ---- The site's files (built above), plus the config.js that points it at this stack
        site_config = {"api": f"/{API_STAGE}", "websocket": self.websocket_url, "local": False}
        sources = [
            s3deploy.Source.asset(str(site_dir), exclude=["config.js"]),
            s3deploy.Source.data("config.js", f"window.IK_CONFIG = {json.dumps(site_config)};\n"),
        ]
        s3deploy.BucketDeployment(
            self, "SiteDeployment",
            destination_bucket=self.site_bucket,
            sources=sources,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=512,
        )

        self._suppress_cdk_handlers()

        # ---- Outputs
        cdk.CfnOutput(self, "SiteUrl", value=self.site_url,
                      description="The site (and its same-origin API under /api)")
        cdk.CfnOutput(self, "RestApiUrl", value=f"https://{rest_api_host}/{API_STAGE}/",
                      description="The REST API, direct")
        cdk.CfnOutput(self, "WebSocketUrl", value=self.websocket_url,
                      description="The WebSocket API")
        cdk.CfnOutput(self, "DownloadsUrl", value=self.downloads_url,
                      description="Where buyers' links to digital goods point (presigned, never the site)")
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)

    def _suppress_cdk_handlers(self) -> None:
        """cdk-nag findings on the handlers aws-cdk-lib adds for BucketDeployment and
        AwsCustomResource (singletons at the stack's root): their code, runtime and policies are
        CDK's, not this app's."""
        for child in self.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                suppress(child, (
                    "AwsSolutions-IAM4", "CDK's BucketDeployment handler role: AWS's basic execution policy "
                                         "for its own logs (aws-cdk-lib code)."), (
                    "AwsSolutions-IAM5", "CDK's BucketDeployment grants: read the staged asset objects in "
                                         "CDK's asset bucket, write the site bucket's objects, and invalidate "
                                         "the distribution (CloudFront invalidations take no resource)."), (
                    "AwsSolutions-L1", "CDK's BucketDeployment handler: its runtime is chosen by "
                                       "aws-cdk-lib and moves with it."), children=True)
            elif child.node.id.startswith("AWS679f53fac002430cb0da5b7982bd2287"):
                suppress(child, (
                    "AwsSolutions-IAM4", "CDK's AwsCustomResource provider (seeds the categories, reads the "
                                         "us-east-1 handover parameters): AWS's basic execution policy for "
                                         "its own logs."), (
                    "AwsSolutions-L1", "CDK's AwsCustomResource provider: its runtime is chosen by "
                                       "aws-cdk-lib and moves with it."), children=True)

    def _upload_bucket(self, construct_id: str, *rules: s3.LifecycleRule) -> s3.Bucket:
        """A private bucket browsers upload to with presigned forms: no public access, TLS only,
        encrypted, half-finished multipart uploads dropped after a day (and `rules`), kept on
        stack deletion."""
        return s3.Bucket(
            self, construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{construct_id}/",
            lifecycle_rules=[s3.LifecycleRule(
                id="AbortIncompleteMultipartUploads",
                abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
            ), *rules],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _downloads_distribution(self) -> cloudfront.Distribution:
        """Digital goods' downloads, on a distribution of their own so a file never runs on the
        site's origin. S3 cannot add `nosniff` to a presigned GET; this adds it, with a CSP that
        sandboxes the file and no referrer. No origin access control: the link's SigV4 query
        string is what S3 checks, and CloudFront sends S3 the origin's Host, the bucket's
        regional name, which `deps.store_files()` signs for; only the link's host is swapped for
        this one (`served_from`). Nothing is cached and no viewer header or cookie is passed on."""
        headers = cloudfront.ResponseHeadersPolicy(
            self, "DownloadHeaders",
            comment="interKanect downloads: nosniff, sandboxing CSP, no referrer, HSTS, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=DOWNLOAD_CONTENT_SECURITY_POLICY, override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(730), include_subdomains=True, override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
            ),
        )
        # No managed policy passes the query string alone: AllViewer* pass the browser's headers
        # (AllViewer its Host too, which S3 would refuse).
        signed_query_only = cloudfront.OriginRequestPolicy(
            self, "DownloadsRequest",
            comment="interKanect downloads: the presigned query string only; no headers or cookies",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        return cloudfront.Distribution(
            self, "DownloadsDistribution",
            comment=f"interKanect {self.stage}: digital goods' downloads (presigned GETs of the files bucket)",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True, log_bucket=self.cdn_logs_bucket, log_file_prefix="downloads/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    self.files_bucket.bucket_regional_domain_name,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=signed_query_only,
                response_headers_policy=headers,
                compress=False,  # the files go as stored, byte for byte
            ),
        )

    @staticmethod
    def _verification_email(support_email: str) -> cognito.UserVerificationConfig:
        """Cognito's sign-up code email in the product's email layout (chalicelib/templates/email),
        rendered at synth with Cognito's `{####}` where the code goes."""
        from dataclasses import replace

        from chalicelib.services.emails import compose

        email = compose("confirm_code", to="", settings=replace(Settings(), support_email=support_email),
                        code="{####}")
        return cognito.UserVerificationConfig(email_style=cognito.VerificationEmailStyle.CODE,
                                              email_subject=email.subject, email_body=email.html)

    def _not_found_function(self, site_dir: Path) -> lambda_.IVersion:
        """The Lambda@Edge function (infra/edge/not_found.py) that answers a page the site bucket
        lacks with the built `404.html`, packaged beside it; the version the distribution runs.

        Lambda@Edge functions must be created in us-east-1, and this stack is environment-agnostic
        (its region comes at deploy time), which `cloudfront.experimental.EdgeFunction` refuses:
        it names the SSM parameter that hands the version over after the distribution's region.
        So this does what EdgeFunction does, keyed by the stage instead: a companion stack pinned
        to us-east-1 (`interkanect-<stage>-edge`, deployed first) holds the function and writes
        its version's ARN to a parameter there, and this stack reads it back at deploy time. (The
        companion's name is already one per stage and account, so the parameter's can be too.)
        """
        stage = cdk.Stage.of(self)
        edge = cdk.Stack(
            stage, f"{self.stage}-edge", stack_name=f"{self.stack_name}-edge",
            env=cdk.Environment(region=EDGE_REGION),
            description=f"interKanect ({self.stage}): the site's Lambda@Edge functions (us-east-1)")
        self.add_stack_dependency(edge, "the distribution runs the edge functions' versions")
        self._edge = edge
        package = package_not_found(site_dir, Path(stage.outdir) / NOT_FOUND_BUILD_DIR)
        role = iam.Role(
            edge, "NotFoundRole",
            assumed_by=iam.CompositePrincipal(iam.ServicePrincipal("lambda.amazonaws.com"),
                                              iam.ServicePrincipal("edgelambda.amazonaws.com")),
            description="interKanect: the site's 404 at the edge (logs only)",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                "service-role/AWSLambdaBasicExecutionRole")],
        )
        suppress(role, ("AwsSolutions-IAM4", "Lambda@Edge writes its logs to `/aws/lambda/us-east-1.<name>` in "
                                             "whichever region served the request, not known in advance: AWS's "
                                             "basic execution policy is the grant that covers them."),
                 applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                             "AWSLambdaBasicExecutionRole"])
        function = lambda_.Function(
            edge, "NotFound",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="not_found.handler",
            code=lambda_.Code.from_asset(str(package)),
            role=role,
            memory_size=128,
            timeout=cdk.Duration.seconds(5),
            description="interKanect: a page the site bucket lacks -> 404 with the site's 404 page",
            # A replaced version stays replicated at the edge for hours and cannot be deleted.
            current_version_options=lambda_.VersionOptions(removal_policy=cdk.RemovalPolicy.RETAIN),
        )
        suppress(function, ("AwsSolutions-L1", "Pinned to a Python that Lambda@Edge supports (it lags Lambda's "
                                               "newest runtimes); moved up deliberately, with the edge test."))
        parameter_name = f"/interkanect/{self.stage}/edge/not-found-version-arn"
        ssm.StringParameter(edge, "NotFoundVersionArn", parameter_name=parameter_name,
                            string_value=function.current_version.edge_arn,
                            description="Read by the site distribution's stack")
        reader = cr.AwsCustomResource(
            self, "NotFoundVersionArn",
            resource_type="Custom::EdgeFunctionVersion",
            on_update=cr.AwsSdkCall(
                service="SSM", action="getParameter", parameters={"Name": parameter_name},
                region=EDGE_REGION, physical_resource_id=cr.PhysicalResourceId.of(parameter_name)),
            policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
                actions=["ssm:GetParameter"],
                resources=[f"arn:{self.partition}:ssm:{EDGE_REGION}:{self.account}:parameter"
                           f"{parameter_name}"])]),
            install_latest_aws_sdk=False,
        )
        # A custom resource reads again only when its properties change: a new package (a new
        # version) must change them, or the distribution would keep the old version.
        reader.node.find_child("Resource").node.default_child.add_property_override(
            "Package", cdk.FileSystem.fingerprint(str(package)))
        return lambda_.Version.from_version_arn(self, "NotFoundVersion",
                                                reader.get_response_field("Parameter.Value"))

    def _alert_ops_on_payout_errors(self, ops_email: str) -> tuple[logs.LogGroup, sns.Topic]:
        """Ops hears by email when the payout job logs an error: a run late for 7 PM Pacific,
        stalled because PayPal is down or refusing, or items PayPal does not list."""
        log_group = logs.LogGroup(
            self, "RunPayoutsLogs", log_group_name=f"/aws/lambda/{self.stack_name}-RunPayouts",
            retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.RETAIN)
        errors = logs.MetricFilter(
            self, "PayoutErrors", log_group=log_group, metric_namespace="interKanect",
            metric_name="PayoutJobErrors", metric_value="1",
            filter_pattern=logs.FilterPattern.string_value("$.level", "=", "ERROR"))
        alarm = cloudwatch.Alarm(
            self, "PayoutErrorsAlarm", metric=errors.metric(statistic="Sum", period=cdk.Duration.minutes(10)),
            threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="The payout job logged an error (a late or stalled run, or items missing at "
                              "PayPal): see Flags & payouts on the site, and the RunPayouts logs.")
        topic = sns.Topic(self, "OpsAlerts", display_name="interKanect ops", enforce_ssl=True)
        topic.add_subscription(subscriptions.EmailSubscription(ops_email))
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        return log_group, topic

    def _subscribe_to_ses_feedback(self, sam_template: dict[str, Any]) -> None:
        """The app's `@app.on_sns_message` function names its topic by a fixed name (app.py); its
        subscription is pointed at this stack's own feedback topic instead."""
        found = [(logical, name) for logical, resource in sam_template["Resources"].items()
                 for name, event in (resource.get("Properties", {}).get("Events") or {}).items()
                 if event.get("Type") == "SNS"]
        if len(found) != 1:
            raise ValueError(f"expected one SNS-subscribed function (ses_feedback), found {found}")
        logical, name = found[0]
        self.chalice.get_resource(logical).add_property_override(
            f"Events.{name}.Properties.Topic", self.ses_feedback_topic.topic_arn)

    def _name_functions_and_unlink_rest_api(self, sam_template: dict[str, Any]) -> None:
        """Give every function a fixed name and point the REST API at the functions by name.

        Chalice's API definition reaches its functions with `${APIHandler.Arn}` (integrations and
        the authorizer), so the API depends on the functions; the distribution depends on the API
        (its origin) and the functions need the distribution's address (`IK_SITE_URL`): a cycle.
        With names known up front the API refers to `...:function:<name>` instead, and depends
        on nothing here; API Gateway resolves the function when it is invoked. The invoke
        permissions (Chalice's `AWS::Lambda::Permission`s) still refer to the functions.
        """
        names = {}
        for function in self.functions:
            logical = function.node.id
            names[logical] = f"{self.stack_name}-{logical}"
            if len(names[logical]) > 64:
                raise ValueError(f"Lambda function name too long: {names[logical]}")
            function.add_property_override("FunctionName", names[logical])

        function_arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"

        def unlink(value: Any) -> Any:
            if isinstance(value, dict):
                if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                    text = value["Fn::Sub"]
                    for logical, name in names.items():
                        text = text.replace(f"${{{logical}.Arn}}", function_arn + name)
                    return {"Fn::Sub": text}
                return {k: unlink(v) for k, v in value.items()}
            if isinstance(value, list):
                return [unlink(v) for v in value]
            return value

        body = unlink(sam_template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"])
        leftover = [logical for logical in names if f'"{logical}' in json.dumps(body)
                    or f"{{{logical}." in json.dumps(body)]
        if leftover:
            raise ValueError(f"the REST API definition still refers to {leftover}")
        self.rest_api.add_property_override("DefinitionBody", body)

    def _seed_categories(self) -> None:
        """The seed categories, written once when the stack is created (`on_create` only: a
        later deploy never rewrites what ops edited since), 25 per BatchWriteItem call."""
        table = self.tables["categories"]
        items = [category_item(category) for category in SEED]
        chunks = [items[i:i + BATCH_WRITE_LIMIT] for i in range(0, len(items), BATCH_WRITE_LIMIT)]
        policy = cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
            actions=["dynamodb:BatchWriteItem"], resources=[table.table_arn])])
        for number, chunk in enumerate(chunks):
            cr.AwsCustomResource(
                self, f"SeedCategories{number}",
                resource_type="Custom::SeedCategories",
                on_create=cr.AwsSdkCall(
                    service="DynamoDB",
                    action="batchWriteItem",
                    parameters={"RequestItems": {
                        table.table_name: [{"PutRequest": {"Item": item}} for item in chunk],
                    }},
                    physical_resource_id=cr.PhysicalResourceId.of(f"seed-categories-{number}"),
                ),
                policy=policy,
                install_latest_aws_sdk=False,
            )
