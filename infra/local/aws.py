"""AWS on one machine: moto in server mode, its state kept across runs, and the resources
the app needs created idempotently (tables, buckets, user pool, app client, ops group). Browser
form uploads to a bucket are held to their signed POST policy, as S3 holds them."""
from __future__ import annotations

import copyreg
import io
import logging
import os
import pickle
import threading
from datetime import datetime, timezone

import cloudpickle
from pathlib import Path
from typing import Any

from chalicelib.adapters.categories import DynamoCategoryStore
from chalicelib.adapters.tables import TTL_ATTRIBUTES, create_tables
from chalicelib.domain.accounts import PASSWORD_MIN_LENGTH
from chalicelib.services.directory import seed_categories
from chalicelib.settings import Settings
from infra.local.ses_feedback import simulate_mailbox
from infra.local.slow import timed

log = logging.getLogger("local-stack.aws")

# Services whose state survives a restart. SSM holds only what `provision` puts at every start.
SERVICES = ("dynamodb", "s3", "ses", "sesv2", "cognito-idp")
USER_POOL_NAME = "interkanect-users"
APP_CLIENT_NAME = "interkanect-web"
OPS_GROUP = "ops"
SITE_BUCKET = "interkanect-site"
UPLOADS_BUCKET = "interkanect-uploads"
FILES_BUCKET = "interkanect-files"
SENDER_EMAIL = "no-reply@interkanect.local"
PAYPAL_SECRET_PARAMETER = "/interkanect/paypal/client-secret"
CURSOR_SECRET_NAME = "interkanect/cursor-secret"
VAPID_SECRET_NAME = "interkanect/vapid-private-key"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def _load_rsa_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


def _reduce_rsa_key(key: Any) -> tuple:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return _load_rsa_key, (pem,)


def _pickle_rsa_keys() -> None:
    """Cognito pools hold an RSA key object; pickle it as PEM."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    copyreg.pickle(type(rsa.generate_private_key(public_exponent=65537, key_size=1024)), _reduce_rsa_key)


_transaction = threading.local()  # the items the TransactWriteItems being applied has written


def _transactions_keep_only_their_items() -> None:
    """moto backs up every table a TransactWriteItems touches with a deep copy of the whole table,
    to roll a cancelled transaction back, so each transaction takes time in proportion to the
    tables' size (a 10,000-helper payout run would take hours). Instead, each item a transaction
    writes is kept as it was, and only those are put back if it is cancelled."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "keeps_only_its_items", False):
        return
    tables_as_they_are = types.SimpleNamespace(
        deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo))

    def keeping(write):
        def kept_write(self, table_name, key_or_item, *args, **kwargs):
            written = getattr(_transaction, "written", None)
            table = self.tables.get(table_name)
            keys = (table.hash_key_attr, table.range_key_attr) if table else ()
            if written is not None and table and all(k in key_or_item for k in keys if k):
                hash_value = DynamoType(key_or_item[table.hash_key_attr])
                range_value = DynamoType(key_or_item[table.range_key_attr]) if table.range_key_attr else None
                written.append((table, hash_value, range_value,
                                copy.deepcopy(table.get_item(hash_value, range_value))))
            return write(self, table_name, key_or_item, *args, **kwargs)
        return kept_write

    def transact_write_items(self, transact_items):
        _transaction.written = written = []
        models.copy = tables_as_they_are  # the tables' backup is the tables themselves
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(written):
                if item is None:
                    table.delete_item(hash_value, range_value)
                elif range_value is None:
                    table.items[hash_value] = item
                else:
                    table.items[hash_value][range_value] = item
            raise
        finally:
            models.copy = copy
            _transaction.written = None

    original = backend.transact_write_items
    for name in ("put_item", "delete_item", "update_item"):
        setattr(backend, name, keeping(getattr(backend, name)))
    transact_write_items.keeps_only_its_items = True
    backend.transact_write_items = transact_write_items


def _add_resend_confirmation_code() -> None:
    """moto has no ResendConfirmationCode; add it so the confirm page's "resend" works locally.

    Like Cognito it answers with where the code went; moto accepts any code, so none is made.
    """
    from moto.cognitoidp.exceptions import ResourceNotFoundError, UserNotFoundError
    from moto.cognitoidp.models import cognitoidp_backends, find_account_region_by_value
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult

    def resend_confirmation_code(self: Any) -> Any:
        client_id = self._get_param("ClientId")
        username = self._get_param("Username")
        account, region = find_account_region_by_value(
            "client_id", client_id, fallback=(self.current_account, self.region))
        backend = cognitoidp_backends[account][region]
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        if pool is None:
            raise ResourceNotFoundError(client_id)
        user = pool._get_user(username)
        if user is None:
            raise UserNotFoundError(username)
        details = backend._get_code_delivery_details(
            pool.extended_config.get("AccountRecoverySetting"), user, username)
        return ActionResult({"CodeDeliveryDetails": details})

    if not hasattr(CognitoIdpResponse, "resend_confirmation_code"):
        CognitoIdpResponse.resend_confirmation_code = resend_confirmation_code


def _add_revoke_token() -> None:
    """moto has no RevokeToken; add it so signing out revokes the session's refresh token locally
    as Cognito does: the refresh token, and the access tokens issued from it (its origin_jti),
    stop working at Cognito. Like Cognito, a token that is not live is no error."""
    import base64
    import json

    from moto.cognitoidp.models import cognitoidp_backends, find_account_region_by_value
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult

    def origin_of(access_token: str) -> str | None:
        payload = access_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("origin_jti")

    def revoke_token(self: Any) -> Any:
        client_id = self._get_param("ClientId")
        token = self._get_param("Token")
        account, region = find_account_region_by_value(
            "client_id", client_id, fallback=(self.current_account, self.region))
        backend = cognitoidp_backends[account][region]
        pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
        live = pool.refresh_tokens.get(token) if pool is not None else None
        if live is not None and live[0] == client_id:
            pool.refresh_tokens[token] = None
            for access_token in [t for t in pool.access_tokens if origin_of(t) == live[2]]:
                pool.access_tokens.pop(access_token)
        return ActionResult({})

    if not hasattr(CognitoIdpResponse, "revoke_token"):
        CognitoIdpResponse.revoke_token = revoke_token


def _refuse_confirming_twice() -> None:
    """moto confirms a confirmed account again; Cognito refuses (NotAuthorized: "Current status
    is CONFIRMED"). Refuse it here too, so the API's answer to a confirmed email is what it is on AWS."""
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend, UserStatus

    original = CognitoIdpBackend.confirm_sign_up
    if getattr(original, "refuses_twice", False):
        return

    def confirm_sign_up(self: Any, client_id: str, username: str) -> str:
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        user = pool._get_user(username) if pool is not None else None
        if user is not None and user.status == UserStatus.CONFIRMED:
            raise NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED")
        return original(self, client_id, username)

    confirm_sign_up.refuses_twice = True  # type: ignore[attr-defined]
    CognitoIdpBackend.confirm_sign_up = confirm_sign_up


def _keep_both_parts_of_sent_emails() -> None:
    """moto keeps one body of a sent email (the HTML when there is one) and not when it was sent,
    and of a raw email (one with files or an invitation) only its MIME text; keep both parts, the
    time, and a raw email's subject and files `(filename, content type, bytes)` on the message
    too, for the local mailbox (infra/local/mailbox.py)."""
    import time

    from moto.ses.responses import EmailResponse

    original = EmailResponse.send_email
    if getattr(original, "keeps_both_parts", False):
        return
    original_raw = EmailResponse.send_raw_email

    def sent(self: Any, result: Any) -> Any:
        message_id = result.result["MessageId"]
        message = next(m for m in reversed(self.backend.sent_messages) if m.id == message_id)
        message.sent_at = time.time()
        return message

    def send_email(self: Any) -> Any:
        result = original(self)
        message = sent(self, result)
        message.text = self._get_param("Message.Body.Text.Data")
        message.html = self._get_param("Message.Body.Html.Data")
        return result

    def send_raw_email(self: Any) -> Any:
        result = original_raw(self)
        message = sent(self, result)
        for name, value in _parts_of_raw_email(message.raw_data).items():
            setattr(message, name, value)
        return result

    send_email.keeps_both_parts = True  # type: ignore[attr-defined]
    EmailResponse.send_email = send_email
    EmailResponse.send_raw_email = send_raw_email


def _parts_of_raw_email(raw: str) -> dict[str, Any]:
    """A MIME email's subject, text and HTML parts, its files and its `List-*` header lines
    (`List-Unsubscribe`) (plain tuples, so a snapshot of the backend reads back whatever this
    module becomes)."""
    import email
    from email import policy

    message = email.message_from_string(raw, policy=policy.default)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    files = tuple((part.get_filename() or f"attachment-{number}", part.get_content_type(),
                   part.get_payload(decode=True) or b"")
                  for number, part in enumerate(message.iter_attachments(), 1))
    listed = tuple((name, str(value).strip()) for name, value in message.items() if name.lower().startswith("list-"))
    return {"subject": str(message.get("Subject", "")), "text": _content(text), "html": _content(html),
            "attachments": files, "list_headers": listed}


def _content(part: Any) -> str | None:
    """A text part as SendEmail's are kept: with the wire's CRLF line ends made newlines."""
    return part.get_content().replace("\r\n", "\n") if part is not None else None


def _refusal_of_form_upload(environ: dict) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """S3's answer to a browser form upload (POST Object) its signed policy forbids, which moto
    would store anyway; None for any other request. The body read here is put back for moto."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING") \
            or not environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        return None
    from http import HTTPStatus

    from werkzeug.formparser import parse_form_data

    from infra.local.s3_post_policy import FormUpload, check, form_post_bucket

    bucket = form_post_bucket(environ.get("PATH_INFO", ""), environ.get("HTTP_HOST", ""))
    length = environ.get("CONTENT_LENGTH", "")
    if bucket is None or not length.isdigit():  # moto answers a body without a length (411)
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    _, form, files = parse_form_data({**environ, "wsgi.input": io.BytesIO(body)})
    fields = {name: value for name, value in form.items() if name.lower() != "file"}
    if "file" in files:
        stream = files["file"].stream
        stream.seek(0, io.SEEK_END)
        file_name, file_size = files["file"].filename or "", stream.tell()
    elif "file" in form:  # S3 takes the file's content as a plain field too
        file_name, file_size = "", len(form["file"].encode())
    else:
        file_name, file_size = None, None
    for uploaded in files.values():
        uploaded.close()
    refusal = check(FormUpload(bucket=bucket, fields=fields, file_name=file_name, file_size=file_size),
                    now=datetime.now(timezone.utc))
    if refusal is None:
        return None
    log.info("Form upload to s3://%s/%s refused: %s %s", bucket, fields.get("key", ""), refusal.code,
             refusal.message)
    request_id = os.urandom(8).hex().upper()
    answer = refusal.xml(request_id)
    return (f"{refusal.status} {HTTPStatus(refusal.status).phrase}",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(answer))),
             ("x-amz-request-id", request_id)], answer)


class LocalAws:
    """moto in server mode on loopback, restoring and saving its backends as one file.

    Requests are applied one at a time: DynamoDB makes each request atomic (a conditional put,
    a transaction), while moto, given overlapping requests, lets a cancelled transaction restore
    a snapshot over another request's write. Connections are still served concurrently.

    A browser's form upload to a bucket is refused as S3 refuses it when it breaks its signed
    policy (type, size, key, expiry, any other condition): moto would store it regardless."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, state_file: Path | None = None) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _pickle_rsa_keys()
        _transactions_keep_only_their_items()
        _add_resend_confirmation_code()
        _refuse_confirming_twice()
        _add_revoke_token()
        _keep_both_parts_of_sent_emails()
        simulate_mailbox()  # SES's bounce and complaint addresses answer through SNS (ses_feedback.py)
        self._state_file = state_file
        self._restore()
        moto = DomainDispatcherApplication(create_backend_app)
        one_at_a_time = threading.Lock()

        def atomic(environ: dict, start_response: Any) -> list[bytes]:
            what = environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            refused = _refusal_of_form_upload(environ)
            if refused is not None:
                status, headers, answer = refused
                start_response(status, headers)
                return [answer]
            with timed(log, f"AWS request {what} (queued behind others included)"):
                with one_at_a_time:
                    return list(moto(environ, start_response))

        self._server = make_server(host, port, atomic, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    def start(self) -> "LocalAws":
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.save()
        self._server.shutdown()
        self._thread.join(10)

    def _restore(self) -> None:
        from moto.backends import get_backend

        if not self._state_file or not self._state_file.exists():
            return
        try:
            saved = pickle.loads(self._state_file.read_bytes())
        except Exception:  # an unreadable snapshot (moto upgrade): start empty, say so
            log.warning("Could not read %s; starting with empty local AWS", self._state_file)
            return
        for service, blob in saved.items():
            live = get_backend(service)
            for account, regions in pickle.loads(blob).items():
                for region, backend in regions.items():
                    live[account][region] = backend

    def save(self) -> None:
        """Snapshots every backend; retried if a request mutates state mid-way."""
        from moto.backends import get_backend

        if not self._state_file:
            return
        for _attempt in range(5):
            try:
                with timed(log, "snapshot of local AWS"):
                    snapshot = {service: cloudpickle.dumps(get_backend(service)) for service in SERVICES}
                break
            except RuntimeError:  # "dictionary changed size during iteration"
                continue
        else:
            log.warning("Could not snapshot local AWS state")
            return
        temporary = self._state_file.with_suffix(".tmp")
        temporary.write_bytes(pickle.dumps(snapshot))
        temporary.replace(self._state_file)


def client(service: str, endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="local", aws_secret_access_key="local")


def _cursor_secret_arn(secrets: Any) -> str:
    """The secret that signs page cursors, made once (random) and kept with the stack's state."""
    import secrets as random

    try:
        return secrets.describe_secret(SecretId=CURSOR_SECRET_NAME)["ARN"]
    except secrets.exceptions.ResourceNotFoundException:
        return secrets.create_secret(Name=CURSOR_SECRET_NAME, SecretString=random.token_urlsafe(32))["ARN"]


def _vapid_secret_arn(secrets: Any) -> str:
    """The VAPID private key Web Push is signed with, made once per stack state (a new one when
    the state is new: browsers subscribed with the old public key then subscribe again)."""
    from chalicelib.adapters.push import new_vapid_private_key

    try:
        return secrets.describe_secret(SecretId=VAPID_SECRET_NAME)["ARN"]
    except secrets.exceptions.ResourceNotFoundException:
        return secrets.create_secret(Name=VAPID_SECRET_NAME, SecretString=new_vapid_private_key())["ARN"]


def provision(endpoint: str, *, region: str = "us-east-1", paypal_client_secret: str) -> dict[str, str]:
    """Creates what is missing and returns the app's settings as environment variables."""
    cognito = client("cognito-idp", endpoint, region)
    pool_id = next((p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
                    if p["Name"] == USER_POOL_NAME), None)
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName=USER_POOL_NAME,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": PASSWORD_MIN_LENGTH, "RequireUppercase": True,
                                         "RequireLowercase": True, "RequireNumbers": True,
                                         "RequireSymbols": False}},
            Schema=[{"Name": "name", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next((c["ClientId"] for c in clients if c["ClientName"] == APP_CLIENT_NAME), None)
    if client_id is None:
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=APP_CLIENT_NAME, GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]["ClientId"]
    groups = cognito.list_groups(UserPoolId=pool_id)["Groups"]
    if not any(g["GroupName"] == OPS_GROUP for g in groups):
        cognito.create_group(UserPoolId=pool_id, GroupName=OPS_GROUP,
                             Description="interKanect operations staff")

    s3 = client("s3", endpoint, region)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (SITE_BUCKET, UPLOADS_BUCKET, FILES_BUCKET):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)

    client("ses", endpoint, region).verify_email_identity(EmailAddress=SENDER_EMAIL)
    client("ssm", endpoint, region).put_parameter(
        Name=PAYPAL_SECRET_PARAMETER, Value=paypal_client_secret, Type="SecureString", Overwrite=True)

    environment = {
        "IK_CURSOR_SECRET_ARN": _cursor_secret_arn(client("secretsmanager", endpoint, region)),
        "IK_VAPID_SECRET_ARN": _vapid_secret_arn(client("secretsmanager", endpoint, region)),
        "IK_PUSH_LOCAL_ENDPOINTS": "true",  # push endpoints on 127.0.0.1 (tests/support/push_service.py)
        # Every browser and test of the local stack signs up from 127.0.0.1: the per-IP sign-up
        # limit is raised here only (the per-address limit and the ring limit stay the defaults).
        "IK_SIGN_UPS_PER_IP_HOUR": "100000",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        **LOCAL_CREDENTIALS,
        "IK_AWS_ENDPOINT_URL": endpoint,
        "IK_USER_POOL_ID": pool_id,
        "IK_USER_POOL_CLIENT_ID": client_id,
        "IK_COGNITO_JWKS_URL": f"{endpoint}/{pool_id}/.well-known/jwks.json",
        "IK_SITE_BUCKET": SITE_BUCKET,
        "IK_UPLOADS_BUCKET": UPLOADS_BUCKET,
        "IK_FILES_BUCKET": FILES_BUCKET,
        "IK_PAYPAL_CLIENT_SECRET_PARAMETER": PAYPAL_SECRET_PARAMETER,
    }
    settings = Settings.from_env(environment)
    create_tables(settings)
    seed_categories(categories=DynamoCategoryStore())
    dynamodb = client("dynamodb", endpoint, region)
    for logical, attribute in TTL_ATTRIBUTES.items():
        dynamodb.update_time_to_live(TableName=settings.table_name(logical),
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
    return environment
