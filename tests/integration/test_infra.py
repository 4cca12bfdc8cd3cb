"""The CDK app synthesizes without the CDK CLI or AWS credentials, lints clean with cfn-lint, has
no dependency cycle, and declares what the code expects: tables from the pynamodb models (the
categories seeded), the Cognito pool, the private site and avatar buckets behind CloudFront with a
strict CSP and the site built from its templates (its 404 page answered at the edge for the site
only), the private files bucket of digital goods (downloaded from a distribution of its own with
`nosniff`), the public pages (Helper pages, stores and the
Marketplace, each with its cache key), both APIs, the schedule and the functions' settings."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import app as chalice_app
from chalicelib.adapters.tables import TTL_ATTRIBUTES, all_models
from chalicelib.api.gateway_responses import GATEWAY_RESPONSES
from chalicelib.domain.accounts import PASSWORD_MIN_LENGTH
from chalicelib.domain.categories import SEED
from chalicelib.settings import TABLES, Settings
from infra.local.scheduler import jobs_of
from infra.local.site import PUBLIC_PAGES, path_matches
from infra.site_build import page_names
from infra.site_headers import DOWNLOAD_HEADERS

pytestmark = pytest.mark.infra

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
CFN_LINT = str(VENV_BIN / "cfn-lint") if (VENV_BIN / "cfn-lint").exists() else "cfn-lint"
REGION = "eu-west-3"  # what AWS::Region renders to in these assertions
EDGE_REGION = "us-east-1"  # where Lambda@Edge functions are created

# cfn-lint findings that are accepted, each with why: (rule, logical-id pattern, reason).
ACCEPTED_LINT = [
    ("W3005", r"^CustomCDKBucketDeployment[0-9A-F]{32}",
     "CDK's BucketDeployment handler (aws-cdk-lib code, not ours) declares DependsOn on its "
     "service role in addition to the GetAtt; redundant but harmless"),
    ("W3005", r"^AWS679f53fac002430cb0da5b7982bd2287",
     "the same, for CDK's AwsCustomResource provider function (aws-lib-cdk code, not ours) that "
     "seeds the categories"),
    ("W3005", r"^NotFound[0-9A-F]{8}$",
     "lambda.Function (aws-cdk-lib) declares DependsOn on its role beside the GetAtt, so a policy "
     "added to the role later is attached before the function starts; redundant for the edge 404 "
     "function's role today (one managed policy), harmless"),
]

# Managed CloudFront policies (fixed ids, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def expected_csp(uploads_bucket: str, files_bucket: str) -> str:
    """The site's CSP; the upload forms post to the uploads bucket (avatars, product pictures) and
    the files bucket (boto3 presigns for a bucket's global name; S3 may redirect a young bucket to
    its regional one)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; media-src 'self' blob:; "
        f"connect-src 'self' wss://*.execute-api.{REGION}.amazonaws.com; "
        "object-src 'none'; base-uri 'self'; "
        f"form-action 'self' https://{{{uploads_bucket}.RegionalDomainName}} "
        f"https://{{{uploads_bucket}.DomainName}} "
        f"https://{{{files_bucket}.RegionalDomainName}} https://{{{files_bucket}.DomainName}}; "
        "frame-ancestors 'none'"
    )


ENV_VARS = {
    *(f"IK_TABLE_{table.upper()}" for table in TABLES),
    "IK_USER_POOL_ID", "IK_USER_POOL_CLIENT_ID", "IK_SITE_BUCKET", "IK_UPLOADS_BUCKET", "IK_FILES_BUCKET",
    "IK_SITE_URL", "IK_FILES_DOWNLOAD_URL", "IK_WEBSOCKET_MANAGEMENT_URL",
    "IK_PAYPAL_BASE_URL", "IK_PAYPAL_CLIENT_ID", "IK_PAYPAL_CLIENT_SECRET_PARAMETER",
    "IK_STUN_URLS", "IK_TURN_URLS", "IK_TURN_SECRET_PARAMETER",
}


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict:
    """Synthesize once, in a clean environment with no AWS profile or credentials."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true")
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "infra.cdk.synth", "--outdir", str(outdir), "--nag", str(outdir / "nag.json")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 0, f"synth failed:\n{result.stdout}\n{result.stderr[-6000:]}"
    template_path = Path(result.stdout.strip().splitlines()[-1])
    assert template_path.is_file() and template_path.parent == outdir
    print(f"\nsynth took {seconds:.1f}s")
    manifest = json.loads((outdir / "manifest.json").read_text())
    edge_path = outdir / manifest["artifacts"]["dev-edge"]["properties"]["templateFile"]
    return {"path": template_path, "outdir": outdir, "seconds": seconds, "manifest": manifest,
            "nag": json.loads((outdir / "nag.json").read_text()),
            "template": json.loads(template_path.read_text()),
            "edge_path": edge_path, "edge_template": json.loads(edge_path.read_text())}


@pytest.fixture(scope="module")
def template(synth) -> dict:
    return synth["template"]


@pytest.fixture(scope="module")
def edge_template(synth) -> dict:
    """The companion stack in us-east-1 that holds the site's Lambda@Edge function."""
    return synth["edge_template"]


def resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def one(template: dict, type_: str) -> tuple[str, dict]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def named(template: dict, type_: str, prefix: str) -> tuple[str, dict]:
    """The one resource of a type whose logical id starts with `prefix` (CDK adds a hash)."""
    found = {k: r for k, r in resources(template, type_).items() if re.fullmatch(f"{prefix}[0-9A-F]{{8}}", k)}
    assert len(found) == 1, f"expected one {type_} {prefix}, found {sorted(found)}"
    return next(iter(found.items()))


def setting(template: dict, name: str):
    """One environment variable, the same on every function."""
    values = {json.dumps(f["Properties"]["Environment"]["Variables"].get(name), sort_keys=True)
              for f in resources(template, "AWS::Serverless::Function").values()}
    assert len(values) == 1, f"{name} differs between functions: {values}"
    return json.loads(values.pop())


def ref_of(template: dict, name: str) -> str:
    """The logical id an environment variable `{"Ref": ...}`s (a table, a bucket)."""
    value = setting(template, name)
    assert isinstance(value, dict) and set(value) == {"Ref"}, (name, value)
    return value["Ref"]


def distribution_config(template: dict, prefix: str = "SiteDistribution") -> dict:
    assert len(resources(template, "AWS::CloudFront::Distribution")) == 2  # the site, the downloads
    _, distribution = named(template, "AWS::CloudFront::Distribution", prefix)
    return distribution["Properties"]["DistributionConfig"]


def serving_behavior(template: dict, path: str) -> dict:
    """The behaviour CloudFront picks for a path: the first listed pattern it matches, else the default."""
    config = distribution_config(template)
    return next((b for b in config["CacheBehaviors"] if path_matches(b["PathPattern"], path)),
                config["DefaultCacheBehavior"])


def behavior(template: dict, pattern: str) -> tuple[dict, dict]:
    """A cache behaviour of the distribution and its origin."""
    config = distribution_config(template)
    (found,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == pattern]
    return found, {o["Id"]: o for o in config["Origins"]}[found["TargetOriginId"]]


def render(value, region: str = REGION) -> str:
    """A CloudFormation value as text: pseudo parameters filled in, other Refs as `{LogicalId}`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(render(p, region) for p in parts)
        if fn == "Ref":
            return {"AWS::Region": region, "AWS::URLSuffix": "amazonaws.com",
                    "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}.get(arg, f"{{{arg}}}")
        if fn == "Fn::GetAtt":
            return "{%s.%s}" % tuple(arg)
    raise AssertionError(f"cannot render {value!r}")


# ---- the synthesis itself


def test_synth_writes_the_assembly_without_cli_or_credentials(synth):
    manifest = json.loads((synth["outdir"] / "manifest.json").read_text())
    stack = manifest["artifacts"]["dev"]
    assert stack["type"] == "aws:cloudformation:stack"
    assert stack["properties"]["stackName"] == "interkanect-dev"
    assert stack["environment"] == "aws://unknown-account/unknown-region"
    # the Chalice code and dependency-layer zips are staged assets; nothing is left in the repo
    layer = synth["template"]["Resources"]["ManagedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert (synth["outdir"] / f"asset.{layer['Properties']['ContentUri']['Key']}").is_file()
    assert not (REPO / "chalice.out").exists()


@pytest.mark.parametrize("which", ["path", "edge_path"])
def test_template_passes_cfn_lint(synth, which):
    result = subprocess.run([CFN_LINT, "--format", "json", str(synth[which])],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr  # bitmask of levels
    findings = json.loads(result.stdout or "[]")
    unexpected = []
    for finding in findings:
        rule = finding["Rule"]["Id"]
        path = finding["Location"]["Path"] or []
        logical = path[1] if len(path) > 1 and path[0] == "Resources" else ""
        accepted = any(rule == r and re.match(p, logical) for r, p, _ in ACCEPTED_LINT)
        if rule.startswith("E") or not accepted:
            unexpected.append(f"{rule} {'/'.join(map(str, path))}: {finding['Message']}")
    assert not unexpected, "cfn-lint:\n" + "\n".join(unexpected)


def _references(value, names: set[str]) -> set[str]:
    """The resources a value refers to (Ref, Fn::GetAtt, `${X}` / `${X.Attr}` in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= _references(variables, names)
            else:
                found |= _references(arg, names)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, names)
    return found & names


def test_no_dependency_cycle(template):
    """cfn-lint does not see references inside the SAM API definition: walk them here. The
    functions need the site's address (IK_SITE_URL), the distribution needs the REST API, so
    the API must not refer to the functions."""
    names = set(template["Resources"])
    graph = {}
    for name, resource in template["Resources"].items():
        depends = resource.get("DependsOn", [])
        graph[name] = _references(resource, names) | set([depends] if isinstance(depends, str) else depends)
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        for dependency in graph[name]:
            assert dependency not in path, "cycle: " + " -> ".join(path[path.index(dependency):] + [dependency])
            if dependency not in done:
                visit(dependency, path + [dependency])
        done.add(name)

    for name in graph:
        if name not in done:
            visit(name, [name])
    functions = resources(template, "AWS::Serverless::Function")
    assert not _references(template["Resources"]["RestAPI"], set(functions))


# ---- DynamoDB


def _expected_table(model) -> dict:
    schema = model._get_schema()
    hash_first = lambda keys: sorted(keys, key=lambda k: k["KeyType"] != "HASH")  # noqa: E731
    return {
        "KeySchema": hash_first(schema["key_schema"]),
        "GlobalSecondaryIndexes": {
            i["index_name"]: {"KeySchema": hash_first(i["key_schema"]), "Projection": i["projection"]}
            for i in schema["global_secondary_indexes"]
        },
    }


def test_one_table_per_model_with_its_keys_indexes_pitr_and_ttl(template):
    models = all_models()
    tables = resources(template, "AWS::DynamoDB::Table")
    assert set(models) == set(TABLES)
    assert len(tables) == len(models)
    # each table is the one its setting names (several tables share a key schema)
    named = {logical: ref_of(template, f"IK_TABLE_{logical.upper()}") for logical in models}
    assert set(named.values()) == set(tables)
    for logical, model in models.items():
        expected = _expected_table(model)
        table = tables[named[logical]]
        props = table["Properties"]
        assert props["KeySchema"] == expected["KeySchema"], logical
        indexes = {i["IndexName"]: {"KeySchema": i["KeySchema"], "Projection": i["Projection"]}
                   for i in props.get("GlobalSecondaryIndexes", [])}
        assert indexes == expected["GlobalSecondaryIndexes"], logical
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        if logical in TTL_ATTRIBUTES:
            assert props["TimeToLiveSpecification"] == {
                "AttributeName": TTL_ATTRIBUTES[logical], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props
        defined = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        schema = model._get_schema()
        attrs = {a["AttributeName"]: a["AttributeType"]
                 for a in schema["attribute_definitions"]
                 + [d for i in schema["global_secondary_indexes"] for d in i["attribute_definitions"]]}
        assert defined == attrs, logical
    assert sum(len(t["Properties"].get("GlobalSecondaryIndexes", [])) for t in tables.values()) \
        == sum(len(m._get_schema()["global_secondary_indexes"]) for m in models.values())


def test_categories_are_seeded_once_with_every_seed_category(template):
    seeds = resources(template, "Custom::SeedCategories")
    assert seeds, "no seeding custom resource"
    table = ref_of(template, "IK_TABLE_CATEGORIES")
    slugs = []
    for name, seed in seeds.items():
        props = seed["Properties"]
        assert set(props) >= {"ServiceToken", "Create"}
        assert "Update" not in props and "Delete" not in props  # never rewrites ops' edits
        create = props["Create"]
        assert create["Fn::Join"][1][1] == {"Ref": table}  # the table name, as the RequestItems key
        call = json.loads(render(create).replace(f"{{{table}}}", "categories-table"))
        assert call["service"] == "DynamoDB" and call["action"] == "batchWriteItem"
        (requests,) = call["parameters"]["RequestItems"].values()
        assert 1 <= len(requests) <= 25
        slugs += [r["PutRequest"]["Item"]["slug"]["S"] for r in requests]
        # only BatchWriteItem, only on the categories table
        (policy_name,) = seed["DependsOn"]
        policy = template["Resources"][policy_name]["Properties"]["PolicyDocument"]
        assert policy["Statement"] == [{"Action": "dynamodb:BatchWriteItem", "Effect": "Allow",
                                        "Resource": {"Fn::GetAtt": [table, "Arn"]}}]
    assert sorted(slugs) == sorted(c.slug for c in SEED)
    # the items are what CategoryRecord reads
    items = {}
    for seed in seeds.values():
        call = json.loads(render(seed["Properties"]["Create"]).replace(f"{{{table}}}", "t"))
        items.update({r["PutRequest"]["Item"]["slug"]["S"]: r["PutRequest"]["Item"]
                      for r in call["parameters"]["RequestItems"]["t"]})
    for category in SEED:
        item = items[category.slug]
        assert item["name"] == {"S": category.name} and item["banner"] == {"S": category.banner}
        assert item["position"] == {"N": str(category.position)} and item["tree"] == {"S": "categories"}
        assert item.get("parent") == ({"S": category.parent} if category.parent else None)


# ---- Cognito


def test_user_pool_signs_in_with_email_and_matches_the_password_rules(template):
    _, pool = one(template, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # self sign-up
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": PASSWORD_MIN_LENGTH, "RequireLowercase": True, "RequireUppercase": True,
        "RequireNumbers": True, "RequireSymbols": False,
    }
    assert "name" in {a["Name"] for a in props["Schema"]}
    assert pool["DeletionPolicy"] == "Retain"


def test_the_sign_up_code_email_is_in_the_products_email_layout_with_cognitos_code_placeholder(template):
    _, pool = one(template, "AWS::Cognito::UserPool")
    message = pool["Properties"]["VerificationMessageTemplate"]
    assert message["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    assert message["EmailSubject"] == "Your interKanect confirmation code"
    body = json.dumps(message["EmailMessage"])  # a join: the support address is a parameter
    assert "{####}" in body and "Your confirmation code is" in body and "<!doctype html>" in body
    assert "SupportEmail" in body


def test_app_client_has_no_secret_and_password_and_refresh_flows(template):
    _, client = one(template, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert not props.get("AllowedOAuthFlowsUserPoolClient")


def test_ops_group(template):
    _, group = one(template, "AWS::Cognito::UserPoolGroup")
    assert group["Properties"]["GroupName"] == "ops"


# ---- Site: S3 + CloudFront


def bucket_statements(template: dict, name: str) -> list[dict]:
    """A bucket's policy statements, after checking it is private, encrypted and SSL-only."""
    props = template["Resources"][name]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (policy,) = [p for p in resources(template, "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": name}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    return statements


@pytest.mark.parametrize("setting_name", ["IK_SITE_BUCKET", "IK_UPLOADS_BUCKET"])
def test_buckets_are_private_encrypted_ssl_only_and_read_by_cloudfront_only(template, setting_name):
    assert len(resources(template, "AWS::S3::Bucket")) == 5  # site, uploads, files; two for access logs
    name = ref_of(template, setting_name)
    statements = bucket_statements(template, name)
    # only CloudFront (this distribution) reads it
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in allows)
    distribution_name, _ = named(template, "AWS::CloudFront::Distribution", "SiteDistribution")
    assert all(f"{{{distribution_name}}}" in render(s["Condition"]["StringEquals"]["AWS:SourceArn"])
               for s in allows)


def test_uploads_bucket_aborts_incomplete_multipart_uploads_drops_unconfirmed_ones_and_has_no_cors(template):
    props = template["Resources"][ref_of(template, "IK_UPLOADS_BUCKET")]["Properties"]
    rules = props["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
               for r in rules)
    # an upload nobody confirmed (the picture is redrawn into media/ when it is) goes after a day
    assert {"Id": "DeleteUnconfirmedPictureUploads", "Prefix": "incoming/", "ExpirationInDays": 1,
            "Status": "Enabled"} in rules
    assert "CorsConfiguration" not in props  # the avatar is a classic form POST, not fetch()
    assert template["Resources"][ref_of(template, "IK_UPLOADS_BUCKET")]["DeletionPolicy"] == "Retain"


def test_files_bucket_is_private_and_reached_only_through_the_functions_presigned_urls(template):
    name = ref_of(template, "IK_FILES_BUCKET")
    assert name not in {ref_of(template, "IK_SITE_BUCKET"), ref_of(template, "IK_UPLOADS_BUCKET")}
    statements = bucket_statements(template, name)
    assert not [s for s in statements if s["Effect"] == "Allow"]  # no CloudFront, no one: IAM only
    bucket = template["Resources"][name]
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
               for r in rules)
    assert "CorsConfiguration" not in bucket["Properties"]  # the seller's upload is a form POST
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    config = distribution_config(template)
    assert not [o for o in config["Origins"] if name in json.dumps(o)]  # never on the site's origin


def test_downloads_come_from_a_distribution_of_their_own_that_adds_nosniff(template):
    """The presigned GET passes through untouched (no OAC: its signature is the authority, for the
    Host S3 gets, the bucket's regional name) and comes back with the headers S3 cannot add."""
    config = distribution_config(template, "DownloadsDistribution")
    (origin,) = config["Origins"]
    files = ref_of(template, "IK_FILES_BUCKET")
    assert render(origin["DomainName"]) == f"{{{files}.RegionalDomainName}}"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert not origin.get("OriginAccessControlId") and not origin.get("S3OriginConfig")
    assert not config.get("CacheBehaviors") and not config.get("DefaultRootObject")
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == origin["Id"]
    assert default["ViewerProtocolPolicy"] == "https-only"
    assert set(default["AllowedMethods"]) == {"GET", "HEAD"}
    assert default["CachePolicyId"] == CACHING_DISABLED
    request = template["Resources"][default["OriginRequestPolicyId"]["Ref"]]
    forwarded = request["Properties"]["OriginRequestPolicyConfig"]
    assert forwarded["QueryStringsConfig"] == {"QueryStringBehavior": "all"}  # the signature
    assert forwarded["HeadersConfig"] == {"HeaderBehavior": "none"}  # Host stays the bucket's
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}

    policy_name, policy = named(template, "AWS::CloudFront::ResponseHeadersPolicy", "DownloadHeaders")
    assert default["ResponseHeadersPolicyId"] == {"Ref": policy_name}
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["ContentTypeOptions"] == {"Override": True}  # X-Content-Type-Options: nosniff
    sent = {  # what the local stack's downloads server sends too (infra/local/downloads.py)
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
    }
    assert sent == DOWNLOAD_HEADERS
    assert all(security[name]["Override"] is True
               for name in ("ContentSecurityPolicy", "ReferrerPolicy", "FrameOptions", "StrictTransportSecurity"))
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000

    distribution_name, _ = named(template, "AWS::CloudFront::Distribution", "DownloadsDistribution")
    assert render(setting(template, "IK_FILES_DOWNLOAD_URL")) == f"https://{{{distribution_name}.DomainName}}"
    assert render(setting(template, "IK_SITE_URL")) != render(setting(template, "IK_FILES_DOWNLOAD_URL"))


def test_distribution_serves_the_site_through_oac_with_strict_headers(template):
    config = distribution_config(template)
    assert config["DefaultRootObject"] == "index.html"
    oacs = resources(template, "AWS::CloudFront::OriginAccessControl")
    assert oacs and all(o["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
                        for o in oacs.values())
    origins = {o["Id"]: o for o in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    s3_origin = origins[default["TargetOriginId"]]
    assert render(s3_origin["DomainName"]) == f"{{{ref_of(template, 'IK_SITE_BUCKET')}.RegionalDomainName}}"
    assert s3_origin["OriginAccessControlId"]["Fn::GetAtt"][0] in oacs
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"

    policy_name, policy = named(template, "AWS::CloudFront::ResponseHeadersPolicy", "SecurityHeaders")
    assert default["ResponseHeadersPolicyId"] == {"Ref": policy_name}
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]) == \
        expected_csp(ref_of(template, "IK_UPLOADS_BUCKET"), ref_of(template, "IK_FILES_BUCKET"))
    assert security["ContentSecurityPolicy"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"]
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_api_behavior_forwards_to_the_rest_api_uncached(template):
    api, origin = behavior(template, "/api/*")
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert render(origin["DomainName"]) == f"{{RestAPI}}.execute-api.{REGION}.amazonaws.com"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert not origin.get("OriginPath")  # /api/x -> stage "api", resource /x


def test_public_pages_behavior_reaches_the_api_route_briefly_cached(template):
    pages, origin = behavior(template, "/h/*")
    assert set(pages["AllowedMethods"]) == {"GET", "HEAD"}
    assert render(origin["DomainName"]) == f"{{RestAPI}}.execute-api.{REGION}.amazonaws.com"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["OriginPath"] == "/api"  # /h/ada -> stage "api", route /h/{username}
    assert "OriginRequestPolicyId" not in pages  # only the cache key: no Host, no Authorization
    cache = template["Resources"][pages["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert cache["MinTTL"] == 0 and 0 < cache["DefaultTTL"] <= cache["MaxTTL"] <= 60
    key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "none"
    assert key["HeadersConfig"]["HeaderBehavior"] == "none"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"
    policy_name, _ = named(template, "AWS::CloudFront::ResponseHeadersPolicy", "SecurityHeaders")
    assert pages["ResponseHeadersPolicyId"] == {"Ref": policy_name}
    assert pages["ViewerProtocolPolicy"] == "redirect-to-https"


@pytest.mark.parametrize("pattern", ["/h/*/store", "/h/*/store/*", "/h/*/blog", "/marketplace"])
def test_store_and_marketplace_pages_reach_the_api_cached_by_their_paging_and_search_only(template, pattern):
    pages, origin = behavior(template, pattern)
    helper_pages, helper_origin = behavior(template, "/h/*")
    assert origin == helper_origin  # the REST API under /api: /marketplace -> route /marketplace
    assert set(pages["AllowedMethods"]) == {"GET", "HEAD"}
    assert "OriginRequestPolicyId" not in pages  # only the cache key: no Host, no Authorization
    assert pages["ResponseHeadersPolicyId"] == helper_pages["ResponseHeadersPolicyId"]
    assert pages["ViewerProtocolPolicy"] == "redirect-to-https" and pages["Compress"] is True
    assert pages["CachePolicyId"] != helper_pages["CachePolicyId"]
    cache = template["Resources"][pages["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert cache["MinTTL"] == 0 and 0 < cache["DefaultTTL"] <= cache["MaxTTL"] <= 60
    key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist",
                                         "QueryStrings": ["cursor", "q", "category"]}
    assert key["HeadersConfig"]["HeaderBehavior"] == "none"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"


@pytest.mark.parametrize(("path", "pattern", "query_strings"), [
    ("/h/ada", "/h/*", "none"),
    ("/h/store", "/h/*", "none"),  # a Helper named "store"
    ("/h/ada/store", "/h/*/store", "whitelist"),
    ("/h/ada/store/brass-lamp", "/h/*/store/*", "whitelist"),
    ("/h/ada/blog", "/h/*/blog", "whitelist"),
    ("/h/ada/blog/five-leaks", "/h/*", "none"),
    ("/h/ada/blog/rss.xml", "/h/*", "none"),
    ("/marketplace", "/marketplace", "whitelist"),
    ("/marketplace.html", None, None),
    ("/api/marketplace/products", "/api/*", None),
    ("/media/products/u1/brass-lamp/p1.png", "/media/*", None),
])
def test_each_path_is_served_by_the_first_behaviour_it_matches(template, path, pattern, query_strings):
    """CloudFront takes the first listed pattern a path matches: the stores' behaviours must come
    before `/h/*`, or their paging and search would be cut off."""
    found = serving_behavior(template, path)
    assert found.get("PathPattern") == pattern
    if query_strings:
        cache = template["Resources"][found["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["QueryStringsConfig"]["QueryStringBehavior"] == query_strings


def test_the_local_site_forwards_the_public_pages_as_cloudfront_does(template):
    """infra/local/site.py sends the same paths to the API, in the same order, with the same query
    strings: a page that needs another one fails locally as it would on AWS."""
    _, pages_origin = behavior(template, "/h/*")
    forwarded = []
    for found in distribution_config(template)["CacheBehaviors"]:
        if found["TargetOriginId"] != pages_origin["Id"]:
            continue
        cache = template["Resources"][found["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        strings = cache["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
        assert strings["QueryStringBehavior"] in ("none", "whitelist")
        forwarded.append((found["PathPattern"], tuple(strings.get("QueryStrings", ()))))
    assert forwarded == list(PUBLIC_PAGES)


def test_media_behavior_serves_the_uploads_bucket_through_oac_cached(template):
    media, origin = behavior(template, "/media/*")
    assert set(media["AllowedMethods"]) == {"GET", "HEAD"}
    assert media["CachePolicyId"] == CACHING_OPTIMIZED
    uploads = ref_of(template, "IK_UPLOADS_BUCKET")
    assert render(origin["DomainName"]) == f"{{{uploads}.RegionalDomainName}}"
    oacs = resources(template, "AWS::CloudFront::OriginAccessControl")
    assert origin["OriginAccessControlId"]["Fn::GetAtt"][0] in oacs
    assert not origin.get("OriginPath")  # /media/avatars/x -> key media/avatars/x
    policy_name, _ = named(template, "AWS::CloudFront::ResponseHeadersPolicy", "SecurityHeaders")
    assert media["ResponseHeadersPolicyId"] == {"Ref": policy_name}


def test_site_is_deployed_with_a_generated_config_js(synth, template):
    _, deployment = one(template, "Custom::CDKBucketDeployment")
    props = deployment["Properties"]
    assert props["DistributionPaths"] == ["/*"]
    markers = {k: render(v) for m in props["SourceMarkers"] for k, v in m.items()}
    assert "{WebsocketAPI}" in markers.values()
    configs = []
    for key in props["SourceObjectKeys"]:
        staged = synth["outdir"] / f"asset.{key.removesuffix('.zip')}"
        if staged.is_dir() and (staged / "config.js").is_file():
            configs.append((staged / "config.js").read_text())
    assert len(configs) == 1, "exactly one source provides config.js"
    text = configs[0]
    for marker, value in markers.items():
        text = text.replace(marker, value)
    assert text.strip() == (
        'window.IK_CONFIG = {"api": "/api", "websocket": '
        f'"wss://{{WebsocketAPI}}.execute-api.{REGION}.amazonaws.com/api", "local": false}};'
    )


def test_site_is_deployed_as_built_from_its_templates(synth, template):
    _, deployment = one(template, "Custom::CDKBucketDeployment")
    staged = [synth["outdir"] / f"asset.{key.removesuffix('.zip')}"
              for key in deployment["Properties"]["SourceObjectKeys"]]
    [site] = [folder for folder in staged if (folder / "index.html").is_file()]
    assert {path.stem for path in site.glob("*.html")} == set(page_names())
    assert (site / "css" / "site.css").is_file() and (site / "js" / "pages" / "home.js").is_file()
    assert not (site / "templates").exists() and not (site / "config.js").exists()


def test_no_custom_error_responses_to_swallow_the_apis_403_and_404(template):
    """CloudFront applies custom error responses to every origin: a 403/404 -> /404.html rule
    would also answer the API's JSON 403 and 404 (and /h/<unknown>'s own 404 page) with the
    static page."""
    assert "CustomErrorResponses" not in distribution_config(template)


def test_a_missing_site_page_gets_the_404_page_from_an_edge_function_on_the_site_behaviour_only(template):
    """The API's JSON 403/404 answers, /h/<unknown>'s own 404 page and a missing avatar pass
    through untouched: only the site bucket's behaviour has the function."""
    config = distribution_config(template)
    (association,) = config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert association["EventType"] == "origin-response"
    assert not association.get("IncludeBody")
    reader_name, _ = one(template, "Custom::EdgeFunctionVersion")
    assert association["LambdaFunctionARN"] == {"Fn::GetAtt": [reader_name, "Parameter.Value"]}
    for pattern in ("/api/*", "/h/*/store", "/h/*/store/*", "/h/*/blog", "/h/*", "/marketplace", "/media/*"):
        found, _ = behavior(template, pattern)
        assert not found.get("LambdaFunctionAssociations"), pattern
    assert len(config["CacheBehaviors"]) == 7
    # the security headers reach the generated 404 as well
    policy_name, _ = named(template, "AWS::CloudFront::ResponseHeadersPolicy", "SecurityHeaders")
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": policy_name}


def test_the_404_function_lives_in_us_east_1_and_hands_its_version_over_through_ssm(
        synth, template, edge_template):
    artifacts = synth["manifest"]["artifacts"]
    assert artifacts["dev-edge"]["environment"] == f"aws://unknown-account/{EDGE_REGION}"
    assert artifacts["dev-edge"]["properties"]["stackName"] == "interkanect-dev-edge"
    assert "dev-edge" in artifacts["dev"]["dependencies"]  # deployed first

    function_name, function = one(edge_template, "AWS::Lambda::Function")
    props = function["Properties"]
    assert props["Runtime"].startswith("python3.") and props["Handler"] == "not_found.handler"
    assert "Environment" not in props  # Lambda@Edge has none
    role = edge_template["Resources"][props["Role"]["Fn::GetAtt"][0]]
    trusted = {s["Principal"]["Service"] for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]}
    assert trusted == {"lambda.amazonaws.com", "edgelambda.amazonaws.com"}
    version_name, version = one(edge_template, "AWS::Lambda::Version")
    assert version["Properties"]["FunctionName"] == {"Ref": function_name}
    assert version["DeletionPolicy"] == "Retain"  # replicas outlive a replaced version
    [parameter] = [p for p in resources(edge_template, "AWS::SSM::Parameter").values()
                   if p["Properties"]["Value"] == {"Ref": version_name}]
    name = parameter["Properties"]["Name"]

    reader_name, reader = one(template, "Custom::EdgeFunctionVersion")
    for event in ("Create", "Update"):
        call = json.loads(reader["Properties"][event])
        assert (call["service"], call["action"], call["region"]) == ("SSM", "getParameter", EDGE_REGION)
        assert call["parameters"] == {"Name": name}
    # a new package is a new version: the reader's properties change with it, so it reads again
    assert reader["Properties"]["Package"] == props["Code"]["S3Key"].removesuffix(".zip")
    (policy_name,) = reader["DependsOn"]
    statements = template["Resources"][policy_name]["Properties"]["PolicyDocument"]["Statement"]
    assert [(s["Effect"], s["Action"], render(s["Resource"])) for s in statements] == [
        ("Allow", "ssm:GetParameter", f"arn:aws:ssm:{EDGE_REGION}:123456789012:parameter{name}")]


def test_the_404_function_is_packaged_with_the_deployed_sites_404_page(synth, template, edge_template):
    _, function = one(edge_template, "AWS::Lambda::Function")
    package = synth["outdir"] / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert sorted(path.name for path in package.iterdir()) == ["404.html", "not_found.py"]
    assert (package / "not_found.py").read_bytes() == (REPO / "infra" / "edge" / "not_found.py").read_bytes()
    _, deployment = one(template, "Custom::CDKBucketDeployment")
    staged = [synth["outdir"] / f"asset.{key.removesuffix('.zip')}"
              for key in deployment["Properties"]["SourceObjectKeys"]]
    [site] = [folder for folder in staged if (folder / "index.html").is_file()]
    assert (package / "404.html").read_bytes() == (site / "404.html").read_bytes()


# ---- The Chalice app: APIs, schedule, functions


def test_rest_api_is_regional_on_stage_api_with_the_product_401s(template):
    api = template["Resources"]["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    props = api["Properties"]
    assert props["StageName"] == "api"
    assert props["EndpointConfiguration"] == "REGIONAL"
    responses = props["GatewayResponses"]
    assert set(responses) == set(GATEWAY_RESPONSES)
    for kind, (status, body) in GATEWAY_RESPONSES.items():
        assert responses[kind]["StatusCode"] == str(status)
        assert json.loads(responses[kind]["ResponseTemplates"]["application/json"]) == body
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED"):  # authorizer refusals: sign in again
        assert responses[kind]["StatusCode"] == "401"
        body = json.loads(responses[kind]["ResponseTemplates"]["application/json"])
        assert body["error"]["code"] == "invalid_token"
        assert responses[kind]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == "'Bearer'"
    assert "cognito_user" in props["DefinitionBody"]["securityDefinitions"]


def test_the_authorizer_answer_is_never_cached_so_a_sign_out_holds_at_once(template):
    authorizer = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"][
        "cognito_user"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerResultTtlInSeconds"] == 0


def test_a_sign_out_is_kept_on_record_as_long_as_a_refresh_token_lives(template):
    _, client = one(template, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["TokenValidityUnits"]["RefreshToken"] == "minutes"
    assert props["RefreshTokenValidity"] * 60 == Settings().session_seconds


def test_websocket_api_routes_and_stage(template):
    api = template["Resources"]["WebsocketAPI"]
    assert api["Type"] == "AWS::ApiGatewayV2::Api"
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    assert routes == {"$connect", "$default", "$disconnect"}
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["StageName"] == "api"


def test_every_scheduled_job_of_the_app_runs_on_its_schedule(template):
    """The construct turns each `@app.schedule` into a function with its rule: none missing (such
    as `expire_store_reservations`), none extra, each on the app's own expression."""
    functions = resources(template, "AWS::Serverless::Function")
    schedules = {name: e["Properties"]["Schedule"]
                 for name, f in functions.items()
                 for e in (f["Properties"].get("Events") or {}).values() if e["Type"] == "Schedule"}
    expected = {job.name.title().replace("_", ""): job.expression for job in jobs_of(chalice_app)}
    assert "ExpireStoreReservations" in expected
    assert schedules == expected


def test_every_function_has_the_settings_and_the_stack_role(template):
    functions = resources(template, "AWS::Serverless::Function")
    assert {"APIHandler", "CognitoUser", "WebsocketConnect", "WebsocketMessage",
            "WebsocketDisconnect", "SweepStaleConnections"} <= set(functions)
    tables = resources(template, "AWS::DynamoDB::Table")
    role_name, _ = next((n, r) for n, r in resources(template, "AWS::IAM::Role").items()
                        if n.startswith("FunctionRole"))
    pool_name, _ = one(template, "AWS::Cognito::UserPool")
    client_name, _ = one(template, "AWS::Cognito::UserPoolClient")
    distribution_name, _ = named(template, "AWS::CloudFront::Distribution", "SiteDistribution")
    buckets = resources(template, "AWS::S3::Bucket")
    for name, function in functions.items():
        props = function["Properties"]
        env = props["Environment"]["Variables"]
        assert ENV_VARS <= set(env), f"{name} lacks {sorted(ENV_VARS - set(env))}"
        assert "IK_PAYPAL_CLIENT_SECRET" not in env  # only the SSM parameter's name
        for logical in TABLES:
            assert env[f"IK_TABLE_{logical.upper()}"]["Ref"] in tables, logical
        assert len({env[f"IK_TABLE_{logical.upper()}"]["Ref"] for logical in TABLES}) == len(TABLES)
        assert env["IK_USER_POOL_ID"] == {"Ref": pool_name}
        assert env["IK_USER_POOL_CLIENT_ID"] == {"Ref": client_name}
        assert env["IK_SITE_BUCKET"]["Ref"] in buckets
        assert env["IK_UPLOADS_BUCKET"]["Ref"] in buckets
        assert env["IK_UPLOADS_BUCKET"] != env["IK_SITE_BUCKET"]
        assert env["IK_FILES_BUCKET"]["Ref"] in buckets
        assert env["IK_FILES_BUCKET"] not in (env["IK_SITE_BUCKET"], env["IK_UPLOADS_BUCKET"])
        assert render(env["IK_SITE_URL"]) == f"https://{{{distribution_name}.DomainName}}"
        assert env["IK_PAYPAL_BASE_URL"] == {"Ref": "PayPalBaseUrl"}
        assert env["IK_PAYPAL_CLIENT_ID"] == {"Ref": "PayPalClientId"}
        assert env["IK_PAYPAL_CLIENT_SECRET_PARAMETER"] == {"Ref": "PayPalClientSecretParameterName"}
        assert render(env["IK_WEBSOCKET_MANAGEMENT_URL"]) == \
            f"https://{{WebsocketAPI}}.execute-api.{REGION}.amazonaws.com/api"
        assert props["Role"] == {"Fn::GetAtt": [role_name, "Arn"]}
        assert props["Layers"] == [{"Ref": "ManagedLayer"}]  # dependencies, keyed by requirements
        assert props["Runtime"].startswith("python3.")
        assert props["FunctionName"] == f"interkanect-dev-{name}"  # the REST API finds them by name
    params = template["Parameters"]
    assert params["PayPalBaseUrl"]["Default"] == "https://api-m.sandbox.paypal.com"
    assert params["PayPalClientSecretParameterName"]["Default"].startswith("/")


def function_role_policies(template: dict) -> dict[str, dict]:
    """The policies of the functions' role: its inline policy and, when the statements outgrow it,
    the managed policies CDK moves the rest into."""
    role_name = next(n for n in resources(template, "AWS::IAM::Role") if n.startswith("FunctionRole"))
    return {n: p for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            for n, p in resources(template, kind).items()
            if {"Ref": role_name} in p["Properties"].get("Roles", [])}


def test_the_functions_start_only_once_every_policy_of_their_role_is_attached(template):
    policies = function_role_policies(template)
    assert any(n.startswith("FunctionRoleDefaultPolicy") for n in policies)
    for name, function in resources(template, "AWS::Serverless::Function").items():
        depends = function.get("DependsOn", [])
        assert set(policies) <= set([depends] if isinstance(depends, str) else depends), name


def test_function_role_permissions(template):
    statements = [s for p in function_role_policies(template).values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]

    def granted(action: str) -> list[str]:
        out = []
        for s in statements:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            if s["Effect"] == "Allow" and action in actions:
                targets = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                out += [render(t) for t in targets]
        return out

    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                   "dynamodb:ConditionCheckItem"):
        targets = granted(action)
        for name in resources(template, "AWS::DynamoDB::Table"):
            assert f"{{{name}.Arn}}" in targets, (action, name)
    for name, table in resources(template, "AWS::DynamoDB::Table").items():
        indexes = [i["IndexName"] for i in table["Properties"].get("GlobalSecondaryIndexes", [])
                   + table["Properties"].get("LocalSecondaryIndexes", [])]
        for index in indexes:  # each by name: no `index/*`
            assert f"{{{name}.Arn}}/index/{index}" in granted("dynamodb:Query"), (name, index)
    assert not any(target.endswith("/index/*") for target in granted("dynamodb:Query"))
    assert not granted("dynamodb:Scan")
    uploads, files = ref_of(template, "IK_UPLOADS_BUCKET"), ref_of(template, "IK_FILES_BUCKET")
    for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"):
        assert granted(action) == [f"{{{uploads}.Arn}}/media/avatars/*", f"{{{uploads}.Arn}}/media/products/*",
                                   f"{{{uploads}.Arn}}/incoming/*", f"{{{files}.Arn}}/files/*"], action
    listings = {render(s["Resource"]): s["Condition"] for s in statements if s["Action"] == "s3:ListBucket"}
    assert listings == {
        f"{{{uploads}.Arn}}": {"StringLike": {"s3:prefix": ["media/avatars/*", "media/products/*", "incoming/*"]}},
        f"{{{files}.Arn}}": {"StringLike": {"s3:prefix": ["files/*"]}},
    }
    site_bucket = ref_of(template, "IK_SITE_BUCKET")
    assert not any(site_bucket in json.dumps(s) for s in statements)
    pool_name, _ = one(template, "AWS::Cognito::UserPool")
    assert granted("cognito-idp:AdminDeleteUser") == [f"{{{pool_name}.Arn}}"]
    assert granted("execute-api:ManageConnections") == [
        f"arn:aws:execute-api:{REGION}:123456789012:{{WebsocketAPI}}/api/*/@connections/*"]
    assert granted("ssm:GetParameter") == [
        f"arn:aws:ssm:{REGION}:123456789012:parameter{{PayPalClientSecretParameterName}}",
        f"arn:aws:ssm:{REGION}:123456789012:parameter{{TurnSecretParameterName}}"]
    assert granted("ses:SendEmail")
    cursor_secret = ref_of(template, "IK_CURSOR_SECRET_ARN")
    vapid_secret = ref_of(template, "IK_VAPID_SECRET_ARN")
    assert sorted(granted("secretsmanager:GetSecretValue")) == sorted([f"{{{cursor_secret}}}", f"{{{vapid_secret}}}"])


def test_outputs(template):
    outputs = template["Outputs"]
    assert {"SiteUrl", "RestApiUrl", "WebSocketUrl", "DownloadsUrl", "UserPoolId", "UserPoolClientId"} <= set(outputs)
    assert render(outputs["WebSocketUrl"]["Value"]) == \
        f"wss://{{WebsocketAPI}}.execute-api.{REGION}.amazonaws.com/api"
    assert render(outputs["RestApiUrl"]["Value"]) == \
        f"https://{{RestAPI}}.execute-api.{REGION}.amazonaws.com/api/"
    assert render(outputs["SiteUrl"]["Value"]).startswith("https://{SiteDistribution")
    assert render(outputs["DownloadsUrl"]["Value"]).startswith("https://{DownloadsDistribution")


def test_ops_is_emailed_when_the_payout_job_logs_an_error(template):
    functions = resources(template, "AWS::Serverless::Function")
    name = functions["RunPayouts"]["Properties"]["FunctionName"]
    [log_group] = [g for g in resources(template, "AWS::Logs::LogGroup").values()
                   if g["Properties"].get("LogGroupName") == f"/aws/lambda/{name}"]
    [metric_filter] = [f for f in resources(template, "AWS::Logs::MetricFilter").values()
                       if f["Properties"]["FilterPattern"] == '{ $.level = "ERROR" }']
    metric = metric_filter["Properties"]["MetricTransformations"][0]["MetricName"]
    [alarm] = [a for a in resources(template, "AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("MetricName") == metric]
    assert alarm["Properties"]["Threshold"] == 1 and alarm["Properties"]["TreatMissingData"] == "notBreaching"
    [subscription] = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "OpsEmail"}
    assert functions["RunPayouts"]["Properties"]["Timeout"] == 900


# ---- Production guard rails: cdk-nag, throttling, WAF, alarms and the dashboard


def nag_suppressions(template: dict) -> list[tuple[str, str, str, list]]:
    """(logical id, rule, reason, applies_to) of every cdk-nag suppression in a template."""
    return [(name, rule["id"], rule["reason"], rule.get("applies_to") or [])
            for name, resource in template["Resources"].items()
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])]


def test_cdk_nag_aws_solutions_leaves_no_unsuppressed_error_or_warning(synth):
    """The synth ran with `Aspects.of(app).add(AwsSolutionsChecks())` (infra/cdk/synth.py --nag)."""
    assert synth["nag"] == [], "cdk-nag:\n" + "\n".join(
        f"{f['level']} {f['path']}: {f['finding']}" for f in synth["nag"])


def test_every_nag_suppression_is_specific_and_says_why(template, edge_template):
    suppressions = nag_suppressions(template) + nag_suppressions(edge_template)
    assert suppressions
    for name, rule, reason, applies_to in suppressions:
        assert len(reason) >= 60, (name, rule, reason)  # a reason, not a shrug
        if rule in ("AwsSolutions-IAM4", "AwsSolutions-IAM5") and not name.startswith(
                ("CustomCDKBucketDeployment", "AWS679f53fac002430cb0da5b7982bd2287")):
            assert applies_to, f"{name}: {rule} must name the findings it covers"  # ours: granular
    # the functions' role: no wildcard on actions, and no table's `index/*` needs suppressing
    role = [a for n, r, _, applies in suppressions if n.startswith("FunctionRole") for a in applies]
    assert role and not any(a.startswith("Action::") or a.endswith("/index/*>") or "/index/*" in a for a in role)


def test_rest_api_is_throttled_per_route_family(template):
    settings = template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    default = next(s for s in settings if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*")
    assert 50 <= default["ThrottlingRateLimit"] <= 1000 and default["ThrottlingBurstLimit"] >= default[
        "ThrottlingRateLimit"]
    # "/~1auth~1sign-up" is /auth/sign-up (API Gateway writes the path's slashes as ~1)
    by_route = {(s["ResourcePath"][1:].replace("~1", "/"), s["HttpMethod"]): s for s in settings if s is not default}
    families = {"auth": [], "payments": [], "webhooks": []}
    for path, methods in chalice_app.app.routes.items():
        family = ("auth" if path.startswith("/auth/") else "webhooks" if path.startswith("/webhooks/")
                  else "payments" if path.startswith(("/payments", "/checkout", "/refunds"))
                  or path == "/calls/{call_id}/payment" else None)
        for method in methods:
            if family:
                families[family].append(by_route[(path, method)])
            else:
                assert (path, method) not in by_route, path  # the rest: the stage default
    assert all(families.values())
    for family, found in families.items():
        assert len({(s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for s in found}) == 1, family
        assert 1 <= found[0]["ThrottlingRateLimit"] < default["ThrottlingRateLimit"], family
        assert found[0]["ThrottlingBurstLimit"] >= found[0]["ThrottlingRateLimit"], family
    # sign-in and sign-up are the tightest; PayPal's webhooks are not starved
    assert families["auth"][0]["ThrottlingRateLimit"] <= families["payments"][0]["ThrottlingRateLimit"]
    assert families["webhooks"][0]["ThrottlingRateLimit"] >= families["payments"][0]["ThrottlingRateLimit"]


def _web_acl(acl: dict, scope: str) -> None:
    props = acl["Properties"]
    assert props["Scope"] == scope and props["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in props["Rules"]}
    assert len({r["Priority"] for r in props["Rules"]}) == len(props["Rules"])
    rate = rules["RateLimitPerAddress"]["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and 100 <= rate["Limit"] <= 2000
    assert rules["RateLimitPerAddress"]["Action"] == {"Block": {}}
    auth = rules["RateLimitSignInPerAddress"]["Statement"]["RateBasedStatement"]
    assert auth["Limit"] < rate["Limit"]
    assert auth["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/auth/"
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["VendorName"] == "AWS"
    assert rules["AWSManagedRulesCommonRuleSet"]["OverrideAction"] == {"None": {}}  # the group's own blocks


def test_waf_guards_the_rest_api_stage(template):
    acl_name, acl = one(template, "AWS::WAFv2::WebACL")
    _web_acl(acl, "REGIONAL")
    _, association = one(template, "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_name, "Arn"]}
    parts = association["Properties"]["ResourceArn"]["Fn::Join"][1]
    assert {"Ref": "RestAPI"} in parts and {"Ref": "RestAPI.Stage"} in parts  # SAM's stage: created first


def test_waf_guards_both_distributions_from_us_east_1_through_ssm(template, edge_template):
    """CLOUDFRONT-scope web ACLs exist only in us-east-1: the edge stack holds it and hands its ARN
    over through SSM there, as it does the 404 function's version."""
    acl_name, acl = one(edge_template, "AWS::WAFv2::WebACL")
    _web_acl(acl, "CLOUDFRONT")
    [parameter] = [p for p in resources(edge_template, "AWS::SSM::Parameter").values()
                   if p["Properties"]["Value"] == {"Fn::GetAtt": [acl_name, "Arn"]}]
    reader_name, reader = one(template, "Custom::CloudFrontWebAcl")
    call = json.loads(reader["Properties"]["Create"])
    assert (call["action"], call["region"], call["parameters"]) == (
        "getParameter", EDGE_REGION, {"Name": parameter["Properties"]["Name"]})
    for prefix in ("SiteDistribution", "DownloadsDistribution"):
        config = distribution_config(template, prefix)
        assert config["WebACLId"] == {"Fn::GetAtt": [reader_name, "Parameter.Value"]}, prefix
        assert config["Logging"]["Bucket"]["Fn::GetAtt"][0].startswith("CdnLogsBucket"), prefix


def test_both_api_stages_write_access_logs(template):
    websocket = template["Resources"]["WebsocketAPIStage"]
    rest = template["Resources"]["RestAPI"]
    for settings in (websocket["Properties"]["AccessLogSettings"], rest["Properties"]["AccessLogSetting"]):
        group = settings["DestinationArn"]["Fn::GetAtt"][0]
        assert template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
        assert "$context.requestId" in settings["Format"] and "authorization" not in settings["Format"].lower()
    account_name, account = one(template, "AWS::ApiGateway::Account")
    assert account_name in websocket["DependsOn"] and account_name in rest["DependsOn"]  # the role is set first


def _alarm_metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm watches (its own, or those of its metric math)."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return [{"Namespace": props["Namespace"], "MetricName": props["MetricName"],
                 "Dimensions": props.get("Dimensions", [])}]
    return [q["MetricStat"]["Metric"] for q in props["Metrics"] if "MetricStat" in q]


def test_alarms_reach_the_ops_topic_for_every_signal(template):
    topic_name, _ = named(template, "AWS::SNS::Topic", "OpsAlerts")  # (SesFeedback is the other topic)
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_name}], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
    watched = [(m["Namespace"], m["MetricName"], json.dumps(m.get("Dimensions", []), sort_keys=True))
               for alarm in alarms.values() for m in _alarm_metrics(alarm)]

    def dimension_values(namespace: str, metric: str) -> set:
        return {json.dumps([render(d["Value"]) for d in json.loads(dims)])
                for ns, name, dims in watched if (ns, name) == (namespace, metric)}

    functions = resources(template, "AWS::Serverless::Function")
    names = {json.dumps([f["Properties"]["FunctionName"]]) for f in functions.values()}
    assert dimension_values("AWS/Lambda", "Errors") == names
    assert dimension_values("AWS/Lambda", "Throttles") == names
    tables = {json.dumps([f"{{{n}}}"]) for n in resources(template, "AWS::DynamoDB::Table")}
    assert dimension_values("AWS/DynamoDB", "ReadThrottleEvents") == tables
    assert dimension_values("AWS/DynamoDB", "WriteThrottleEvents") == tables
    api_name = template["Resources"]["RestAPI"]["Properties"]["Name"]
    assert dimension_values("AWS/ApiGateway", "5XXError") == {json.dumps([api_name, "api"])}
    assert dimension_values("AWS/ApiGateway", "ExecutionError") == {json.dumps(["{WebsocketAPI}", "api"])}
    late = [f for f in resources(template, "AWS::Logs::MetricFilter").values()
            if f["Properties"]["FilterPattern"] == '{ $.message = "payout run late" }']
    assert len(late) == 1
    assert ("interKanect", "PayoutRunsLate", "[]") in watched
    # the 5xx alarm is a rate, and only with traffic
    [rate] = [a for a in alarms.values() if any(m["MetricName"] == "5XXError" for m in _alarm_metrics(a))]
    expression = next(q["Expression"] for q in rate["Properties"]["Metrics"] if "Expression" in q)
    assert "/" in expression and rate["Properties"]["Threshold"] <= 10


def test_the_ops_dashboard_shows_the_alarms_signals_and_the_business_metrics(template):
    _, dashboard = one(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in ("5XXError", "Errors", "Throttles", "ReadThrottleEvents", "ExecutionError",
                   "CallsRung", "CallsAnswered", "PaymentsCaptured", "Refunds", "Payouts"):
        assert f'\\"{metric}\\"' in body or f'"{metric}"' in body, metric


def test_every_function_is_traced_by_lambda_itself(template):
    """X-Ray active tracing: Lambda's own segments (init, invocation), nothing loaded in-process."""
    for name, function in resources(template, "AWS::Serverless::Function").items():
        assert function["Properties"]["Tracing"] == "Active", name


def test_ses_bounces_and_complaints_reach_the_apps_feedback_function(template):
    """Every email names the configuration set (IK_SES_CONFIGURATION_SET), whose event destination
    publishes bounces and complaints to a topic SES (of this account only) may publish to, over
    TLS; the app's `ses_feedback` function (app.py, `@app.on_sns_message`) is subscribed to it."""
    topic, _ = named(template, "AWS::SNS::Topic", "SesFeedback")
    config_set, _ = one(template, "AWS::SES::ConfigurationSet")
    _, destination = one(template, "AWS::SES::ConfigurationSetEventDestination")
    props = destination["Properties"]
    assert props["ConfigurationSetName"] == {"Ref": config_set}
    assert props["EventDestination"]["Enabled"] is True
    assert sorted(props["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert props["EventDestination"]["SnsDestination"]["TopicARN"] == {"Ref": topic}
    [policy] = [r for r in resources(template, "AWS::SNS::TopicPolicy").values()
                if {"Ref": topic} in r["Properties"]["Topics"]]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Allow" and s["Principal"] == {"Service": "ses.amazonaws.com"}
               and s["Action"] == "sns:Publish" and "AWS:SourceAccount" in s["Condition"]["StringEquals"]
               for s in statements)
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    functions = resources(template, "AWS::Serverless::Function")
    subscribed = {name: e["Properties"]["Topic"] for name, f in functions.items()
                  for e in (f["Properties"].get("Events") or {}).values() if e["Type"] == "SNS"}
    assert subscribed == {"SesFeedback": {"Ref": topic}}
    for function in functions.values():
        assert function["Properties"]["Environment"]["Variables"]["IK_SES_CONFIGURATION_SET"] == {"Ref": config_set}
